package native

import (
	"errors"
	"os"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/plugins/api"
)

// exitLookup returns an adopted process's exit status when the state file
// knows it (the plugin process that reaped it wrote it down).
type exitLookup func() (api.ExitStatus, bool)

// adoptProc watches a process started by an earlier plugin process. It
// holds a pidfd, opened before checking the start time, so that signals
// never reach a process that reused the pid. A process that is gone is
// returned ended.
func adoptProc(ps procState, lookup exitLookup) *proc {
	p := &proc{pid: ps.Pid, startTime: ps.StartTime, terminal: ps.Terminal, done: make(chan struct{})}
	p.signalFn = func(syscall.Signal) error { return os.ErrProcessDone }
	fd, err := unix.PidfdOpen(ps.Pid, unix.PIDFD_NONBLOCK)
	if err != nil {
		p.end(lookup())
		return p
	}
	f := os.NewFile(uintptr(fd), "pidfd") // non-blocking: the runtime poller waits on it
	rc, err := f.SyscallConn()
	if err != nil || !running(ps.Pid, ps.StartTime) {
		f.Close()
		p.end(lookup())
		return p
	}
	p.signalFn = func(sig syscall.Signal) error {
		var serr error
		if err := rc.Control(func(fd uintptr) { serr = unix.PidfdSendSignal(int(fd), sig, nil, 0) }); err != nil {
			return os.ErrProcessDone // the pidfd is closed: the process ended
		}
		return serr
	}
	go p.watch(f, rc, lookup)
	return p
}

// watch waits, without holding a thread, until the pidfd is readable: the
// process has exited (a zombie counts).
func (p *proc) watch(f *os.File, rc syscall.RawConn, lookup exitLookup) {
	_ = rc.Read(func(fd uintptr) bool {
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(pfd, 0)
		return n > 0 || (err != nil && !errors.Is(err, unix.EINTR))
	})
	f.Close()
	p.end(lookup())
}
