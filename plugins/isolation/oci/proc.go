package oci

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
	"github.com/rrun-project/rrun/plugins/api/reaper"
)

// proc is a process of a container (its init or an exec) and how it ended.
type proc struct {
	pid      int
	terminal bool
	master   *os.File // dup of the pty master, for ResizePty; nil if adopted
	done     chan struct{}

	mu       sync.Mutex
	status   api.ExitStatus
	known    bool // status is known: reaped by this process or recorded
	finished time.Time
}

func newProc(pid int, terminal bool, master *os.File) *proc {
	return &proc{pid: pid, terminal: terminal, master: master, done: make(chan struct{})}
}

// watch ends p when the reaper delivers its status, then calls onEnd.
func (p *proc) watch(ch <-chan reaper.Status, onEnd func()) {
	go func() {
		st := <-ch
		p.end(api.ExitStatus{Code: st.Code, Signal: st.Signal}, true)
		onEnd()
	}()
}

// adopt watches a process this plugin process did not start: a child of
// ours (the same process, another backend instance) through the reaper,
// else through a pidfd, which tells that it ended but not how.
func (p *proc) adopt(r *reaper.Reaper, recorded *api.ExitStatus, onEnd func()) {
	if recorded != nil {
		p.end(*recorded, true)
		return
	}
	if parentOf(p.pid) == os.Getpid() {
		p.watch(r.Watch(p.pid, 0), onEnd)
		return
	}
	fd, err := unix.PidfdOpen(p.pid, 0)
	if err != nil {
		p.end(api.ExitStatus{Code: -1}, false)
		return
	}
	go func() {
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		for {
			if _, err := unix.Poll(pfd, -1); !errors.Is(err, unix.EINTR) {
				break
			}
		}
		unix.Close(fd)
		p.end(api.ExitStatus{Code: -1}, false)
	}()
}

func (p *proc) end(st api.ExitStatus, known bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.done:
		return
	default:
	}
	p.status, p.known, p.finished = st, known, time.Now()
	close(p.done)
}

func (p *proc) ended() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// exit returns the status of an ended process; ok is false when unknown.
func (p *proc) exit() (api.ExitStatus, time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.status, p.finished, p.known
}

// signal sends sig unless the process has ended (its pid is ours until
// the reaper reaps it, so it cannot have been reused).
func (p *proc) signal(sig int) error {
	if p.ended() {
		return nil
	}
	if err := unix.Kill(p.pid, syscall.Signal(sig)); err != nil && !errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("failed to signal pid %d: %w", p.pid, err)
	}
	return nil
}

// resize sets the terminal size through the master's dup.
func (p *proc) resize(width, height uint) error {
	if !p.terminal {
		return api.Errorf(api.ErrFailedPrecondition, "", "process %d has no terminal", p.pid)
	}
	if p.master == nil {
		return api.Errorf(api.ErrUnavailable, "", "the terminal of process %d was made by an earlier plugin process", p.pid)
	}
	ws := &unix.Winsize{Col: uint16(width), Row: uint16(height)}
	if err := unix.IoctlSetWinsize(int(p.master.Fd()), unix.TIOCSWINSZ, ws); err != nil {
		return fmt.Errorf("failed to resize the terminal of process %d: %w", p.pid, err)
	}
	return nil
}

func (p *proc) closeMaster() {
	if p.master != nil {
		p.master.Close()
	}
}

// parentOf returns the parent pid of pid from /proc, or 0.
func parentOf(pid int) int {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(fields[1])
	return ppid
}
