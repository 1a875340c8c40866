//go:build linux

package native

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sync"
	"syscall"

	"github.com/rrun-project/rrun/plugins/api"
)

// container is one container's init process and what the plugin knows
// about it.
type container struct {
	id  string
	dir string // <RunDir>/<id>
	cmd *exec.Cmd

	conn *net.UnixConn // control socket to the init
	enc  *json.Encoder
	dec  *json.Decoder

	done chan struct{} // closed once the init has been reaped

	mu     sync.Mutex
	status string
	exit   api.ExitStatus
}

// reap waits for the init and records how it ended. It runs in its own
// goroutine for the container's whole life: it is the only caller of
// cmd.Wait, and the closed done channel fans the result out to waiters.
func (c *container) reap() {
	_ = c.cmd.Wait() // the status is in ProcessState; err only repeats it
	st := exitStatusOf(c.cmd.ProcessState)
	c.mu.Lock()
	c.status, c.exit = api.StatusStopped, st
	c.mu.Unlock()
	close(c.done)
}

// exitStatusOf follows docker: the exit code, or 128+N for signal N.
func exitStatusOf(ps *os.ProcessState) api.ExitStatus {
	ws, ok := ps.Sys().(syscall.WaitStatus)
	if ok && ws.Signaled() {
		return api.ExitStatus{Code: 128 + int(ws.Signal()), Signal: int(ws.Signal())}
	}
	return api.ExitStatus{Code: ps.ExitCode()}
}

func (c *container) state() api.ContainerState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return api.ContainerState{ID: c.id, Status: c.status, Pid: c.cmd.Process.Pid, ExitCode: c.exit.Code}
}

// setStatus moves the container from one status to another, or says why not.
func (c *container) setStatus(from, to string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.status != from {
		return api.Errorf(api.ErrFailedPrecondition, "", "container %s is %s, not %s", c.id, c.status, from)
	}
	c.status = to
	return nil
}

func (c *container) stopped() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

func (c *container) signal(sig syscall.Signal) error {
	err := c.cmd.Process.Signal(sig)
	if err == nil || errors.Is(err, os.ErrProcessDone) {
		return nil
	}
	return fmt.Errorf("failed to send signal %d to container %s: %w", sig, c.id, err)
}

// next reads the next message from the init, passing log lines to log.
// io.EOF means the init closed the socket: it exec'd or it died.
func (c *container) next(log func(string)) (message, error) {
	for {
		var m message
		if err := c.dec.Decode(&m); err != nil {
			return message{}, err
		}
		if m.Type != msgLog {
			return m, nil
		}
		log(m.Message)
	}
}
