package native

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/rrun-project/rrun/plugins/api"
)

// stateVersion is the version of state.json; a plugin refuses to adopt a
// container whose file it cannot read.
const stateVersion = 1

const stateFileName = "state.json"

// containerState is <RunDir>/<id>/state.json: what a new plugin process
// needs to adopt a container made by an earlier one.
type containerState struct {
	Version int
	ID      string
	Status  string // created or running when written; see Init.Exited
	Started time.Time
	Init    procState
	Execs   map[string]procState `json:",omitempty"`
}

// procState is one process in state.json.
type procState struct {
	Pid       int
	StartTime uint64 // field 22 of /proc/<pid>/stat: tells a reused pid
	Terminal  bool
	Exited    bool           `json:",omitempty"`
	Exit      api.ExitStatus // when Exited
}

func (p *proc) snapshot() procState {
	exit, known := p.status()
	return procState{Pid: p.Pid, StartTime: p.StartTime, Terminal: p.terminal, Exited: known, Exit: exit}
}

func (c *container) snapshot() containerState {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := containerState{Version: stateVersion, ID: c.id, Status: c.status, Started: c.started,
		Init: c.init.snapshot(), Execs: map[string]procState{}}
	for id, p := range c.execs {
		if p != nil {
			st.Execs[id] = p.snapshot()
		}
	}
	return st
}

// save writes the state file atomically (temp file + rename). After
// Delete the directory is gone and there is nothing to save.
func (c *container) save() error {
	c.saveMu.Lock()
	defer c.saveMu.Unlock()
	data, err := json.Marshal(c.snapshot())
	if err != nil {
		return fmt.Errorf("failed to encode state of container %s: %w", c.id, err)
	}
	f, err := os.CreateTemp(c.dir, stateFileName+".tmp*")
	if err != nil {
		return fmt.Errorf("failed to save state of container %s: %w", c.id, err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(c.dir, stateFileName))
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("failed to save state of container %s: %w", c.id, err)
	}
	return nil
}

// readState reads a container's state file.
func readState(dir string) (*containerState, error) {
	data, err := os.ReadFile(filepath.Join(dir, stateFileName))
	if err != nil {
		return nil, err
	}
	var st containerState
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("failed to read state file in %s: %w", dir, err)
	}
	if st.Version != stateVersion {
		return nil, fmt.Errorf("state file in %s has version %d, this plugin reads %d", dir, st.Version, stateVersion)
	}
	return &st, nil
}

// adoptContainer makes a container known from its state file, written by
// an earlier plugin process. Its processes are watched, not reaped (unless
// they are children of this process: another Backend in it made them).
func (b *Backend) adoptContainer(dir string, st *containerState) *container {
	c := &container{id: st.ID, dir: dir, status: st.Status, started: st.Started, execs: map[string]*proc{}}
	c.init = b.adopt(st.Init, func() (api.ExitStatus, bool) {
		if st, err := readState(dir); err == nil {
			return st.Init.Exit, st.Init.Exited
		}
		return api.ExitStatus{}, false
	})
	for id, ps := range st.Execs {
		c.execs[id] = b.adopt(ps, func() (api.ExitStatus, bool) {
			if st, err := readState(dir); err == nil {
				return st.Execs[id].Exit, st.Execs[id].Exited
			}
			return api.ExitStatus{}, false
		})
	}
	return c
}
