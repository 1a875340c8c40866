package native

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/plugins/api"
)

// proc is one process of a container (its init or an exec) as the plugin
// knows it: a child it reaps, or a process adopted from an earlier plugin
// process, watched through a pidfd (its reaper is the monitor).
type proc struct {
	pid       int
	startTime uint64 // from /proc/<pid>/stat, to tell a reused pid
	terminal  bool
	master    *os.File // the pty master, for ResizePty; nil when adopted

	signalFn func(syscall.Signal) error
	onEnd    func()        // called once the exit is recorded, before done closes
	done     chan struct{} // closed once the process has ended

	mu       sync.Mutex
	ended    bool
	exit     api.ExitStatus
	known    bool // exit is known (we reaped it, or a state file says)
	finished time.Time
}

// childProc tracks pid, a child of this process not reaped yet: it is
// signalled and reaped through a pidfd, and onEnd (may be nil) runs once
// its exit is recorded. Only an exit ends it, never a stop.
func childProc(pid int, terminal bool, onEnd func()) (*proc, error) {
	fd, err := openChildPidfd(pid)
	if err != nil {
		return nil, err
	}
	st, _ := startTime(pid) // a child cannot be reused before it is reaped
	pr := &proc{pid: pid, startTime: st, terminal: terminal, signalFn: fd.signal, onEnd: onEnd, done: make(chan struct{})}
	go func() { pr.end(fd.reap(), true) }()
	return pr, nil
}

// end records how the process ended, once.
func (p *proc) end(st api.ExitStatus, known bool) {
	p.mu.Lock()
	if p.ended {
		p.mu.Unlock()
		return
	}
	p.ended, p.exit, p.known, p.finished = true, st, known, time.Now().UTC()
	p.mu.Unlock()
	if p.onEnd != nil {
		p.onEnd()
	}
	close(p.done)
}

func (p *proc) finishedAt() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.finished
}

func (p *proc) stopped() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// status returns how the process ended and whether that is known.
func (p *proc) status() (api.ExitStatus, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exit, p.known
}

func (p *proc) signal(sig syscall.Signal) error {
	if p.stopped() {
		return nil
	}
	err := p.signalFn(sig)
	if err == nil || errors.Is(err, os.ErrProcessDone) || errors.Is(err, unix.ESRCH) {
		return nil
	}
	return fmt.Errorf("failed to send signal %d to pid %d: %w", sig, p.pid, err)
}

// startTime reads field 22 of /proc/<pid>/stat: the process's start time
// in clock ticks since boot. A pid with another start time is another
// process.
func startTime(pid int) (uint64, error) {
	fields, err := statFields(pid)
	if err != nil {
		return 0, err
	}
	return strconv.ParseUint(fields[19], 10, 64)
}

// running reports whether pid is the process that started at start and
// has not exited (a zombie has).
func running(pid int, start uint64) bool {
	fields, err := statFields(pid)
	if err != nil || fields[0] == "Z" || fields[0] == "X" {
		return false
	}
	st, err := strconv.ParseUint(fields[19], 10, 64)
	return err == nil && st == start
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

// describe names the process in messages.
func (p *proc) describe(id, execID string) string {
	if execID == "" {
		return "container " + id
	}
	return "exec " + execID + " of container " + id
}
