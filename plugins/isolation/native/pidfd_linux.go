package native

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/plugins/api"
)

// childPidfd is a pidfd of a child of this process: signals sent through
// it never reach a process that reused the pid, and it reaps the child.
// Its methods are safe to call from several goroutines, also after close.
type childPidfd struct {
	f  *os.File
	rc syscall.RawConn
}

// openChildPidfd opens a pidfd of pid, a child this process has not reaped
// yet (so the pid cannot have been reused; a zombie is still there).
func openChildPidfd(pid int) (*childPidfd, error) {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return nil, fmt.Errorf("failed to open a pidfd of pid %d: %w", pid, err)
	}
	f := os.NewFile(uintptr(fd), "pidfd")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("failed to use the pidfd of pid %d: %w", pid, err)
	}
	return &childPidfd{f: f, rc: rc}, nil
}

// signal sends sig to the process. Once the pidfd is closed (the process
// was reaped) it returns os.ErrProcessDone.
func (p *childPidfd) signal(sig syscall.Signal) error {
	var serr error
	if err := p.rc.Control(func(fd uintptr) { serr = unix.PidfdSendSignal(int(fd), sig, nil, 0) }); err != nil {
		return os.ErrProcessDone
	}
	return serr
}

// reap blocks until the process has exited, reaps it and closes the pidfd.
// A stop is not an exit: waitid reports the stops of a process that traces
// itself (PTRACE_TRACEME makes this process its tracer) even without
// WSTOPPED, and such a process, stopped on every signal it receives, is
// alive until SIGKILL, which no tracer can hold back.
func (p *childPidfd) reap() api.ExitStatus {
	defer p.f.Close()
	st := api.ExitStatus{Code: -1}
	err := p.rc.Control(func(fd uintptr) {
		for {
			var info unix.Siginfo
			err := unix.Waitid(unix.P_PIDFD, int(fd), &info, unix.WEXITED, nil)
			if errors.Is(err, unix.EINTR) {
				continue
			}
			if err != nil {
				return // ECHILD: not ours to reap; how it ended is unknown
			}
			if exit, ok := exitOf(&info); ok {
				st = exit
				return
			}
		}
	})
	if err != nil {
		return api.ExitStatus{Code: -1}
	}
	return st
}

// is64bit is 1 on 64-bit targets, where siginfo_t pads its header.
const is64bit = ^uint(0) >> 63

// siginfoChild is the SIGCHLD layout of siginfo_t (the kernel's
// __sifields._sigchld), as the Go runtime reads it (MIPS, which swaps
// errno and code, is not a target).
type siginfoChild struct {
	Signo  int32
	Errno  int32
	Code   int32
	_      [is64bit]int32
	Pid    int32
	UID    uint32
	Status int32
	_      [128 - (6+is64bit)*4]byte
}

// si_code values of SIGCHLD (asm-generic/siginfo.h); x/sys/unix has none.
const (
	cldExited = 1 // exited
	cldKilled = 2 // killed by a signal
	cldDumped = 3 // killed by a signal, dumped core
)

// exitOf turns a waitid result into docker's exit status: the exit code,
// or 128+N for signal N. ok is false for a stop or a continue.
func exitOf(info *unix.Siginfo) (api.ExitStatus, bool) {
	ci := (*siginfoChild)(unsafe.Pointer(info))
	switch ci.Code {
	case cldExited:
		return api.ExitStatus{Code: int(ci.Status)}, true
	case cldKilled, cldDumped:
		return api.ExitStatus{Code: 128 + int(ci.Status), Signal: int(ci.Status)}, true
	}
	return api.ExitStatus{}, false
}
