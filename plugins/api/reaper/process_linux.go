package reaper

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Process is one process of a container (its init or an exec) as a
// backend knows it, and how it ended. It is signalled through a pidfd, so
// that a signal never reaches a process that reused its pid. Only an exit
// ends it, never a stop: a process that traces itself (PTRACE_TRACEME
// makes its parent the tracer) stops on every signal it gets and stays
// alive until SIGKILL. Its methods are safe for concurrent use.
type Process struct {
	Pid       int
	StartTime uint64 // field 22 of /proc/<pid>/stat, to tell a reused pid; 0 if unknown

	pidfd *os.File // nil: no signal can reach it (it ended, or it is not ours to signal)
	rc    syscall.RawConn
	onEnd func() // called once the exit is recorded, before done closes
	done  chan struct{}

	mu       sync.Mutex
	ended    bool
	status   Status
	known    bool // status is known: reaped by this process, or recorded
	finished time.Time
}

// Child tracks pid, a child of this process (or an orphan that becomes
// one, this process being the subreaper) that was not reaped before mark
// was taken. pidfd, when not nil, is a pidfd of the process the caller got
// atomically (SysProcAttr.PidFD); else one is opened now, which is safe
// while the process cannot have been reaped yet. onEnd (may be nil) runs
// once the exit status is recorded.
func (r *Reaper) Child(pid int, pidfd *os.File, mark uint64, onEnd func()) *Process {
	p := newProcess(pid, onEnd)
	p.StartTime, _ = StartTime(pid) // 0 if it is gone already
	if pidfd == nil {
		if fd, err := unix.PidfdOpen(pid, 0); err == nil {
			pidfd = os.NewFile(uintptr(fd), "pidfd")
		}
	}
	p.setPidfd(pidfd)
	ch := r.Watch(pid, mark)
	go func() {
		st := <-ch
		p.end(st, true)
	}()
	return p
}

// Adopt tracks a process an earlier plugin process started. If it is a
// child of this process the reaper delivers its status; else a pidfd tells
// when it is gone (a zombie counts) and lookup (may be nil) says how it
// ended if someone recorded it. A process whose start time is not
// startTime (when known) is gone: its pid was reused.
func (r *Reaper) Adopt(pid int, startTime uint64, lookup func() (Status, bool), onEnd func()) *Process {
	p := newProcess(pid, onEnd)
	p.StartTime = startTime
	if lookup == nil {
		lookup = func() (Status, bool) { return Status{Code: -1}, false }
	}
	fd, err := unix.PidfdOpen(pid, unix.PIDFD_NONBLOCK)
	if err != nil {
		p.end(lookup())
		return p
	}
	f := os.NewFile(uintptr(fd), "pidfd") // non-blocking: the runtime poller waits on it
	if (startTime != 0 && !Running(pid, startTime)) || !p.setPidfd(f) {
		f.Close()
		p.end(lookup())
		return p
	}
	if parentOf(pid) == os.Getpid() {
		ch := r.Watch(pid, 0)
		go func() { st := <-ch; p.end(st, true) }()
		return p
	}
	go p.watchGone(lookup)
	return p
}

// Finished returns a Process that has already ended with st: one whose
// command could not run, or whose status a plugin process recorded.
func Finished(pid int, st Status) *Process {
	p := newProcess(pid, nil)
	p.end(st, true)
	return p
}

func newProcess(pid int, onEnd func()) *Process {
	return &Process{Pid: pid, onEnd: onEnd, done: make(chan struct{})}
}

// setPidfd keeps f for signals; false if it cannot be used.
func (p *Process) setPidfd(f *os.File) bool {
	if f == nil {
		return false
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return false
	}
	p.pidfd, p.rc = f, rc
	return true
}

// watchGone waits, without holding a thread, until the pidfd is readable:
// the process has exited.
func (p *Process) watchGone(lookup func() (Status, bool)) {
	_ = p.rc.Read(func(fd uintptr) bool {
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(pfd, 0)
		return n > 0 || (err != nil && !errors.Is(err, unix.EINTR))
	})
	p.end(lookup())
}

// end records how the process ended, once, and closes its pidfd.
func (p *Process) end(st Status, known bool) {
	p.mu.Lock()
	if p.ended {
		p.mu.Unlock()
		return
	}
	p.ended, p.status, p.known, p.finished = true, st, known, time.Now().UTC()
	p.mu.Unlock()
	if p.onEnd != nil {
		p.onEnd()
	}
	close(p.done)
	if p.pidfd != nil {
		p.pidfd.Close() // a Signal in flight then fails with ErrProcessDone
	}
}

// Done is closed once the process has ended and onEnd has returned.
func (p *Process) Done() <-chan struct{} { return p.done }

// Ended reports whether the process has ended.
func (p *Process) Ended() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// ErrStatusUnknown is Wait's error for a process that ended without this
// reaper seeing how (one adopted from an earlier plugin process).
var ErrStatusUnknown = errors.New("exit status known only to the process that reaped it")

// Wait blocks until the process has ended, or ctx is done (ctx.Err()),
// and returns how it ended: what an isolation backend's Wait returns.
// ErrStatusUnknown when it ended but its status is not known here. Any
// number of goroutines may wait.
func (p *Process) Wait(ctx context.Context) (Status, error) {
	select {
	case <-p.done:
	case <-ctx.Done():
		return Status{}, ctx.Err()
	}
	st, _, known := p.Exit()
	if !known {
		return Status{}, ErrStatusUnknown
	}
	return st, nil
}

// Exit returns how the process ended, when, and whether the status is
// known (else Code is -1).
func (p *Process) Exit() (Status, time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.status, p.finished, p.known
}

// Signal sends sig to the process; a process that has ended (or that this
// process cannot reach) is left alone without an error.
func (p *Process) Signal(sig syscall.Signal) error {
	if p.Ended() || p.rc == nil {
		return nil
	}
	var serr error
	if err := p.rc.Control(func(fd uintptr) { serr = unix.PidfdSendSignal(int(fd), sig, nil, 0) }); err != nil {
		return nil // the pidfd is closed: the process ended
	}
	if serr == nil || errors.Is(serr, unix.ESRCH) {
		return nil
	}
	return fmt.Errorf("failed to send signal %d to pid %d: %w", sig, p.Pid, serr)
}

// StartTime reads field 22 of /proc/<pid>/stat: the process's start time
// in clock ticks since boot. A pid with another start time is another
// process.
func StartTime(pid int) (uint64, error) {
	fields, err := statFields(pid)
	if err != nil {
		return 0, err
	}
	return strconv.ParseUint(fields[19], 10, 64)
}

// Running reports whether pid is the process that started at start and
// has not exited (a zombie has).
func Running(pid int, start uint64) bool {
	fields, err := statFields(pid)
	if err != nil || fields[0] == "Z" || fields[0] == "X" {
		return false
	}
	st, err := strconv.ParseUint(fields[19], 10, 64)
	return err == nil && st == start
}

// parentOf returns the parent pid of pid, or 0.
func parentOf(pid int) int {
	fields, err := statFields(pid)
	if err != nil {
		return 0
	}
	ppid, _ := strconv.Atoi(fields[1])
	return ppid
}

// statFields returns the fields of /proc/<pid>/stat from the third (the
// state) on. The command (field 2) may hold spaces and parentheses: fields
// are counted after its last ')'.
func statFields(pid int) ([]string, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil, err
	}
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 20 {
		return nil, fmt.Errorf("short /proc/%d/stat", pid)
	}
	return fields, nil
}
