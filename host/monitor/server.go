package monitor

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/plugins/api"
)

// listen opens the container's control socket. A socket left by a killed
// monitor is replaced.
func (m *monitor) listen() error {
	path := SocketPath(m.RunDir, m.rec.ID)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("failed to create %s: %w", filepath.Dir(path), err)
	}
	_ = os.Remove(path)
	l, err := net.ListenUnix("unixpacket", &net.UnixAddr{Name: path, Net: "unixpacket"})
	if err != nil {
		return fmt.Errorf("failed to listen on %s: %w", path, err)
	}
	l.SetUnlinkOnClose(true)
	m.listener = l
	return nil
}

func (m *monitor) serve(ctx context.Context) {
	for {
		conn, err := m.listener.AcceptUnix()
		if err != nil {
			return
		}
		go m.handle(ctx, conn)
	}
}

// handle answers the requests of one connection.
func (m *monitor) handle(ctx context.Context, conn *net.UnixConn) {
	defer conn.Close()
	cs := &connState{conn: conn}
	defer cs.wg.Wait()
	for {
		req, fds, err := readRequest(conn)
		if err != nil {
			return
		}
		if req.Version != ProtocolVersion {
			reply(conn, failure(api.Errorf(api.ErrFailedPrecondition, "use the same rrun binary for all commands",
				"monitor protocol %d, client %d", ProtocolVersion, req.Version)))
			closeFds(fds)
			return
		}
		if req.Op != OpExec {
			closeFds(fds) // only exec takes the client's stdio
			fds = nil
		}
		m.dispatch(ctx, cs, req, fds)
	}
}

// connState is what one client connection has going: an exec it started.
type connState struct {
	conn   *net.UnixConn
	execID string
	wg     sync.WaitGroup
}

func (m *monitor) dispatch(ctx context.Context, cs *connState, req Request, fds []int) {
	conn := cs.conn
	switch req.Op {
	case OpPing:
		reply(conn, Response{OK: true})
	case OpKill:
		sig := req.Signal
		if sig == 0 {
			sig = int(unix.SIGKILL)
		}
		reply(conn, result(m.kill(ctx, "", sig)))
	case OpStop:
		reply(conn, result(m.stop(ctx, req.Timeout)))
	case OpWait:
		<-m.exited
		reply(conn, Response{OK: true, Exited: true, ExitCode: m.exitCode})
	case OpResize:
		reply(conn, result(m.isolation().ResizePty(ctx, m.rec.ID, cs.execID, req.Width, req.Height)))
	case OpExec:
		m.exec(ctx, cs, req, fds)
	case OpStdin:
		reply(conn, result(m.writeStdin(req.Data)))
	default:
		reply(conn, failure(api.Errorf(api.ErrInvalidArgument, "", "unknown monitor operation %q", req.Op)))
	}
}

// stop sends the stop signal, then SIGKILL when the init is still there
// after the timeout (seconds; < 0: the container's own, default 10).
func (m *monitor) stop(ctx context.Context, timeout int) error {
	sig, err := ParseSignal(m.rec.Options.StopSignal, unix.SIGTERM)
	if err != nil {
		return err
	}
	if timeout < 0 {
		timeout = 10
		if t := m.rec.Options.StopTimeout; t != nil {
			timeout = *t
		}
	}
	_ = m.kill(ctx, "", int(sig))
	select {
	case <-m.exited:
		return nil
	case <-time.After(time.Duration(timeout) * time.Second):
	}
	_ = m.kill(ctx, "", int(unix.SIGKILL))
	<-m.exited
	return nil
}

// readRequest reads one request: the socket is SOCK_SEQPACKET, so one
// message is one request, with its fds.
func readRequest(conn *net.UnixConn) (Request, []int, error) {
	var req Request
	buf, oob := make([]byte, 64<<10), make([]byte, unix.CmsgSpace((3+MaxPreservedFds)*4))
	n, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
	// An empty message may still carry fds: they are closed with it.
	fds := parseRights(oob[:oobn])
	if err != nil || n == 0 {
		closeFds(fds)
		return req, nil, fmt.Errorf("connection closed")
	}
	if err := json.Unmarshal(buf[:n], &req); err != nil {
		closeFds(fds)
		return req, nil, fmt.Errorf("unreadable request: %w", err)
	}
	return req, fds, nil
}

func parseRights(oob []byte) []int {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil
	}
	var fds []int
	for i := range msgs {
		if f, err := unix.ParseUnixRights(&msgs[i]); err == nil {
			fds = append(fds, f...)
		}
	}
	return fds
}

func closeFds(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}

func reply(conn *net.UnixConn, r Response) {
	data, _ := json.Marshal(r)
	_, _ = conn.Write(data)
}

func result(err error) Response {
	if err != nil {
		return failure(err)
	}
	return Response{OK: true}
}

func failure(err error) Response {
	return Response{Error: err.Error(), Hint: api.HintOf(err), Kind: api.ReasonOf(err)}
}
