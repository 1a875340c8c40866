package monitor

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/rrun-project/rrun/plugins/api"
)

// Client talks to one container's monitor.
type Client struct {
	conn *net.UnixConn
}

// ErrNoMonitor means nothing answers on the socket: the container is not
// running (or its monitor was killed).
var ErrNoMonitor = errors.New("container is not running")

// ErrHungUp means the monitor closed the connection before it answered:
// it is gone, or handing the container over (rrun-monitor's exec of
// `--resume`, whose record of the exit closes the socket with connections
// still queued on it). Whether the container runs is the owner lock's to
// say.
var ErrHungUp = errors.New("the container's monitor hung up")

// Dial connects to the monitor of container id.
func Dial(runDir, id string) (*Client, error) {
	c, err := net.DialTimeout("unixpacket", SocketPath(runDir, id), 2*time.Second)
	if err != nil {
		return nil, fmt.Errorf("%w (%v)", ErrNoMonitor, err)
	}
	return &Client{conn: c.(*net.UnixConn)}, nil
}

// Alive reports whether container id has a monitor that answers.
func Alive(runDir, id string) bool {
	c, err := Dial(runDir, id)
	if err != nil {
		return false
	}
	defer c.Close()
	_, err = c.Call(Request{Op: OpPing})
	return err == nil
}

// Close hangs up.
func (c *Client) Close() error { return c.conn.Close() }

// Send writes one request, with fds attached when given.
func (c *Client) Send(r Request, fds ...int) error {
	r.Version = ProtocolVersion
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	var oob []byte
	if len(fds) > 0 {
		oob = syscall.UnixRights(fds...)
	}
	_, _, err = c.conn.WriteMsgUnix(data, oob, nil)
	return err
}

// Receive reads one response; a failed one becomes an error with its hint.
func (c *Client) Receive() (Response, error) {
	var resp Response
	buf := make([]byte, 64<<10)
	n, err := c.conn.Read(buf)
	if err != nil || n == 0 {
		return resp, fmt.Errorf("%w: %v", ErrHungUp, err)
	}
	if err := json.Unmarshal(buf[:n], &resp); err != nil {
		return resp, fmt.Errorf("unreadable answer from the container's monitor: %w", err)
	}
	if !resp.OK {
		return resp, api.Errorf(api.KindFromReason(resp.Kind), resp.Hint, "%s", resp.Error)
	}
	return resp, nil
}

// Call sends a request and reads its answer.
func (c *Client) Call(r Request) (Response, error) {
	if err := c.Send(r); err != nil {
		return Response{}, err
	}
	return c.Receive()
}

// StdFds are this process's stdin, stdout and stderr.
func StdFds() []int { return []int{int(os.Stdin.Fd()), int(os.Stdout.Fd()), int(os.Stderr.Fd())} }
