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
	Version     int                  `json:"version"`
	ID          string               `json:"id"`
	Name        string               `json:"name"`
	Image       string               `json:"image"`
	ImageID     string               `json:"image_id"`
	Created     time.Time            `json:"created"`
	Options     container.RunOptions `json:"options"`
	Storage     string               `json:"storage"`
	Isolation   string               `json:"isolation"`
	Args        []string             `json:"args,omitempty"` // the process's argv once known
	Status      string               `json:"status"`
	Pid         int                  `json:"pid,omitempty"`    // init's pid in the session
	PidNS       uint64               `json:"pid_ns,omitempty"` // inode of the init's pid namespace
	ExitCode    int                  `json:"exit_code"`
	StartedAt   time.Time            `json:"started_at,omitzero"`
	FinishedAt  time.Time            `json:"finished_at,omitzero"`
	Error       string               `json:"error,omitempty"`
	AnonVolumes []string             `json:"anon_volumes,omitempty"`
}

// ShortID is the 12-character form docker shows.
func (r Record) ShortID() string {
	if len(r.ID) > 12 {
		return r.ID[:12]
	}
	return r.ID
}
