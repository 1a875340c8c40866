package main

import (
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/rrun-project/rrun/host/monitor/handoff"
)

// monitor is the running container's owner.
type monitor struct {
	st handoff.State

	mu      sync.Mutex
	done    chan struct{} // closed once the init exited
	code    int
	logMu   sync.Mutex
	pumps   sync.WaitGroup
	stdinMu sync.Mutex
	// inflight counts requests being answered: stop and wait answer once
	// the init exited, before this process execs.
	inflight sync.WaitGroup
}

func newMonitor(st handoff.State) *monitor {
	return &monitor{st: st, done: make(chan struct{})}
}

// exited records the init's code and wakes every stop and wait request.
func (m *monitor) exited(code int) {
	m.mu.Lock()
	m.code = code
	m.mu.Unlock()
	close(m.done)
}

func (m *monitor) exitCode() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.code
}

func (m *monitor) isDone() bool {
	select {
	case <-m.done:
		return true
	default:
		return false
	}
}

// kill signals the init; an exited init is not an error (docker's kill
// of a container that just stopped).
func (m *monitor) kill(sig int) error {
	if sig == 0 {
		sig = int(syscall.SIGKILL)
	}
	if m.isDone() {
		return nil
	}
	if err := syscall.Kill(m.st.Pid, syscall.Signal(sig)); err != nil && err != syscall.ESRCH {
		return err
	}
	return nil
}

// stop sends the stop signal, then SIGKILL once timeout (seconds; < 0: the
// container's) has passed, and returns when the init has exited.
func (m *monitor) stop(timeout int) {
	if timeout < 0 {
		timeout = m.st.StopTimeout
	}
	_ = m.kill(m.st.StopSignal)
	select {
	case <-m.done:
		return
	case <-time.After(time.Duration(timeout) * time.Second):
	}
	_ = m.kill(int(syscall.SIGKILL))
	<-m.done
}

// resize sets the size of the container's terminal.
func (m *monitor) resize(width, height uint) error {
	if m.st.Master < 0 {
		return nil // docker ignores a resize without a terminal
	}
	ws := winsize{Col: uint16(width), Row: uint16(height)}
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, uintptr(m.st.Master), syscall.TIOCSWINSZ, uintptr(unsafe.Pointer(&ws))); errno != 0 {
		return errno
	}
	return nil
}

// winsize is struct winsize of ioctl_tty(2).
type winsize struct{ Row, Col, Xpixel, Ypixel uint16 }

// writeStdin passes what `rrun attach` read to the container's stdin (its
// pipe, or its terminal with -t).
func (m *monitor) writeStdin(data []byte) error {
	fd := m.st.Stdin
	if m.st.Master >= 0 {
		fd = m.st.Master
	}
	if fd < 0 || !m.st.Interactive {
		return errNoStdin
	}
	m.stdinMu.Lock()
	defer m.stdinMu.Unlock()
	for len(data) > 0 {
		n, err := syscall.Write(fd, data)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}
