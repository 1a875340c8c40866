package native

import (
	"os"
	"syscall"
	"time"

	"github.com/rrun-project/rrun/plugins/api"
	"github.com/rrun-project/rrun/plugins/api/reaper"
)

// proc is one process of a container (its init or an exec) as the plugin
// knows it: the SDK's reaper.Process (a child the reaper reaps, or a
// process adopted from an earlier plugin process, whose reaper is the
// monitor) with its terminal.
type proc struct {
	*reaper.Process
	terminal bool
	master   *os.File // the pty master, for ResizePty; nil when adopted
}

// track follows pid, a child of this process not reaped before mark (the
// init, or an exec process cloned with CLONE_PARENT): its exit status
// comes from the reaper, signals go through pidfd (may be nil: one is
// opened now), and onEnd (may be nil) runs once its exit is recorded.
func (b *Backend) track(pid int, pidfd *os.File, mark uint64, terminal bool, onEnd func()) *proc {
	return &proc{Process: b.reaper.Child(pid, pidfd, mark, onEnd), terminal: terminal}
}

// adopt follows a process an earlier plugin process started; lookup says
// how it ended when a plugin process recorded it.
func (b *Backend) adopt(ps procState, lookup func() (api.ExitStatus, bool)) *proc {
	recorded := func() (reaper.Status, bool) {
		st, known := lookup()
		return reaper.Status{Code: st.Code, Signal: st.Signal}, known
	}
	return &proc{Process: b.reaper.Adopt(ps.Pid, ps.StartTime, recorded, nil), terminal: ps.Terminal}
}

// status returns how the process ended and whether that is known.
func (p *proc) status() (api.ExitStatus, bool) {
	st, _, known := p.Exit()
	return api.ExitStatus{Code: st.Code, Signal: st.Signal}, known
}

func (p *proc) finishedAt() time.Time {
	_, at, _ := p.Exit()
	return at
}

func (p *proc) signal(sig syscall.Signal) error { return p.Signal(sig) }

// describe names the process in messages.
func (p *proc) describe(id, execID string) string {
	if execID == "" {
		return "container " + id
	}
	return "exec " + execID + " of container " + id
}
