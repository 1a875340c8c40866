package state

import (
	"time"

	"github.com/rrun-project/rrun/host/container"
)

// RecordVersion is the on-disk format of a record; bump it on a change
// that older rrun binaries would misread.
const RecordVersion = 1

// Statuses a record can have. A record that says running but whose monitor
// no longer answers is shown as exited (see Store.Refresh).
const (
	StatusCreated = "created"
	StatusRunning = "running"
	StatusExited  = "exited"
)

// Record is everything rrun knows of one container.
type Record struct {
	Version   int                  `json:"version"`
	ID        string               `json:"id"`
	Name      string               `json:"name"`
	Image     string               `json:"image"`
	ImageID   string               `json:"image_id"`
	Created   time.Time            `json:"created"`
	Options   container.RunOptions `json:"options"`
	Storage   string               `json:"storage"`
	Isolation string               `json:"isolation"`
	Args      []string             `json:"args,omitempty"` // the process's argv once known
	Status    string               `json:"status"`
	Pid       int                  `json:"pid,omitempty"`    // init's pid in the session
	PidNS     uint64               `json:"pid_ns,omitempty"` // inode of the init's pid namespace
	// PidStart is the init's start time (proc.Start, read when it was
	// created and waited for its start): a dead
	// container's namespace inode, reused by a new pid namespace, does not
	// make that namespace's init this container's.
	PidStart    uint64    `json:"pid_start,omitempty"`
	ExitCode    int       `json:"exit_code"`
	StartedAt   time.Time `json:"started_at,omitzero"`
	FinishedAt  time.Time `json:"finished_at,omitzero"`
	Error       string    `json:"error,omitempty"`
	AnonVolumes []string  `json:"anon_volumes,omitempty"`
	// ConfigEnv is docker's Config.Env (the user's and the image's
	// variables), recorded when the container starts.
	ConfigEnv []string `json:"config_env,omitempty"`
	// RestartCount is how many times the monitor restarted the container
	// under its --restart policy since it was last started by a user.
	RestartCount int `json:"restart_count,omitempty"`
	// Starting says a process holds the owner lock while it starts the
	// container (a run or start); with Status running, the monitor holds it.
	Starting bool `json:"starting,omitempty"`
	// Unstarted marks a container made by `rrun run` whose command has not
	// run yet: a run that fails or is killed before that leaves nothing.
	Unstarted bool `json:"unstarted,omitempty"`
	// Cleanup says the process that owned the container was killed: its
	// root filesystem and isolation state may still be there (see
	// Store.Reconcile).
	Cleanup bool `json:"cleanup,omitempty"`
}

// Owned reports whether a live process must hold the record's owner lock:
// while it starts or runs, and while an exited --rm container is removed.
func (r Record) Owned() bool {
	return r.Starting || r.Unstarted || r.Status == StatusRunning || (r.Options.Remove && r.Status == StatusExited)
}

// Removing reports whether r is a --rm container that exited and whose
// owner removes it: a served foreground run hands its exit code out first
// and removes it after (monitor.Deps.Later). Commands that show or use
// containers wait for that removal (Store.Reconcile, SettleRemovals).
func (r Record) Removing() bool {
	return r.Options.Remove && r.Status == StatusExited && !r.Cleanup
}

// Discard reports whether a record whose owner is gone is removed rather
// than kept as exited: --rm, or a run that never started its command.
func (r Record) Discard() bool { return r.Options.Remove || r.Unstarted }

// ShortID is the 12-character form docker shows.
func (r Record) ShortID() string {
	if len(r.ID) > 12 {
		return r.ID[:12]
	}
	return r.ID
}
