package oci

import (
	"fmt"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/plugins/api"
	"github.com/rrun-project/rrun/plugins/api/reaper"
)

// proc is a process of a container (its init or an exec): the SDK's
// reaper.Process, once watched or adopted, with its terminal.
type proc struct {
	*reaper.Process // nil until watch or adopt
	pid             int
	terminal        bool
	master          *os.File // dup of the pty master, for ResizePty; nil if adopted
}

func newProc(pid int, terminal bool, master *os.File) *proc {
	return &proc{pid: pid, terminal: terminal, master: master}
}

// watch has the reaper deliver p's status (p was a child of ours, or an
// orphan we inherit, when mark was taken); onEnd runs once it is recorded.
func (p *proc) watch(r *reaper.Reaper, mark uint64, onEnd func()) {
	p.Process = r.Child(p.pid, nil, mark, onEnd)
}

// adopt watches a process this plugin process did not start: a child of
// ours (the same process, another backend instance) through the reaper,
// else through a pidfd, which tells that it ended but not how.
func (p *proc) adopt(r *reaper.Reaper, recorded *api.ExitStatus, onEnd func()) {
	if recorded != nil {
		p.Process = reaper.Finished(p.pid, reaper.Status{Code: recorded.Code, Signal: recorded.Signal})
		return
	}
	p.Process = r.Adopt(p.pid, 0, nil, onEnd)
}

// finish records a process that never ran, ended with st.
func (p *proc) finish(st api.ExitStatus) {
	p.Process = reaper.Finished(p.pid, reaper.Status{Code: st.Code, Signal: st.Signal})
}

func (p *proc) ended() bool { return p.Process != nil && p.Ended() }

// exit returns the status of an ended process; ok is false when unknown.
func (p *proc) exit() (api.ExitStatus, time.Time, bool) {
	if p.Process == nil {
		return api.ExitStatus{}, time.Time{}, false
	}
	st, at, known := p.Exit()
	return api.ExitStatus{Code: st.Code, Signal: st.Signal}, at, known
}

// signal sends sig unless the process has ended (through a pidfd: never to
// a process that reused the pid).
func (p *proc) signal(sig int) error {
	if p.Process == nil {
		return nil
	}
	return p.Signal(syscall.Signal(sig))
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
