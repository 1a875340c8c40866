package oci

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/rrun-project/rrun/plugins/api"
)

// metaVersion is the version of meta.json.
const metaVersion = 1

// meta is what a plugin process records of a container in
// <RunDir>/<id>/meta.json, for the next plugin process.
type meta struct {
	Version  int                 `json:"version"`
	Pid      int                 `json:"pid"`
	Terminal bool                `json:"terminal,omitempty"`
	Cgroup   bool                `json:"cgroup,omitempty"`  // the runtime manages its cgroup (runtime.managing)
	Mounted  []string            `json:"mounted,omitempty"` // rootfs mount points, innermost last
	Started  time.Time           `json:"started,omitzero"`
	Exit     *api.ExitStatus     `json:"exit,omitempty"`
	Execs    map[string]execMeta `json:"execs,omitempty"`
}

type execMeta struct {
	Pid      int             `json:"pid"`
	Terminal bool            `json:"terminal,omitempty"`
	Exit     *api.ExitStatus `json:"exit,omitempty"`
}

// container is one container of the backend.
type container struct {
	id  string
	dir string // <RunDir>/<id>

	mu      sync.Mutex
	meta    meta
	init    *proc
	started bool
	execs   map[string]*proc
	deleted bool // its dir is removed: nothing may write into it again
}

func (c *container) state() api.ContainerState {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := api.ContainerState{ID: c.id, Pid: c.init.pid, Status: api.StatusCreated, Started: c.meta.Started}
	if c.started {
		st.Status = api.StatusRunning
	}
	if exit, finished, known := c.init.exit(); c.init.ended() {
		st.Status, st.ExitCode, st.Finished = api.StatusStopped, exit.Code, finished
		if !known {
			st.ExitCode = -1
		}
	}
	return st
}

// save writes meta.json atomically. The caller holds c.mu.
func (c *container) save() error {
	c.meta.Version = metaVersion
	data, err := json.Marshal(c.meta)
	if err != nil {
		return err
	}
	tmp := filepath.Join(c.dir, "meta.json.tmp")
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("failed to record container %s: %w", c.id, err)
	}
	if err := os.Rename(tmp, filepath.Join(c.dir, "meta.json")); err != nil {
		return fmt.Errorf("failed to record container %s: %w", c.id, err)
	}
	return nil
}

// recordExit writes down how the init or an exec ended, for a later
// plugin process. Best effort: the container may be being deleted.
func (c *container) recordExit(execID string, p *proc) {
	st, _, known := p.exit()
	if !known {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if execID == "" {
		c.meta.Exit = &st
	} else if e, ok := c.meta.Execs[execID]; ok {
		e.Exit = &st
		c.meta.Execs[execID] = e
	}
	if !c.deleted {
		_ = c.save() // the container is then reported with ExitCode -1
	}
}

// loadMeta reads the meta.json of a container made by an earlier plugin
// process.
func loadMeta(dir string) (meta, error) {
	data, err := os.ReadFile(filepath.Join(dir, "meta.json"))
	if err != nil {
		return meta{}, err
	}
	var m meta
	if err := json.Unmarshal(data, &m); err != nil {
		return meta{}, fmt.Errorf("failed to read %s: %w", dir, err)
	}
	if m.Version != metaVersion {
		return meta{}, fmt.Errorf("%s has version %d, want %d", dir, m.Version, metaVersion)
	}
	return m, nil
}
