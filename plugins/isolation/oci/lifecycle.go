package oci

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/plugins/api"
	"github.com/rrun-project/rrun/plugins/api/reaper"
)

// lookup returns container id, adopting it from meta.json when an earlier
// plugin process made it. ErrNotFound when unknown.
func (b *Backend) lookup(id string) (*container, *runtime, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.rt == nil {
		return nil, nil, api.Errorf(api.ErrFailedPrecondition, "", "isolation oci: not configured")
	}
	if c := b.containers[id]; c != nil {
		return c, b.rt.managing(c.meta.Cgroup), nil
	}
	if _, reserved := b.containers[id]; reserved || !validID.MatchString(id) {
		return nil, nil, api.Errorf(api.ErrNotFound, "", "container %s not found", id)
	}
	dir := filepath.Join(b.runDir, id)
	m, err := loadMeta(dir)
	if err != nil {
		return nil, nil, api.Errorf(api.ErrNotFound, "", "container %s not found", id)
	}
	c := b.adopt(id, dir, m)
	b.containers[id] = c
	return c, b.rt.managing(m.Cgroup), nil
}

// adopt rebuilds a container from its meta.json.
func (b *Backend) adopt(id, dir string, m meta) *container {
	c := &container{id: id, dir: dir, meta: m, started: !m.Started.IsZero(), execs: map[string]*proc{}}
	c.init = newProc(m.Pid, m.Terminal, nil)
	c.init.adopt(b.reaper, m.Exit, func() { c.recordExit("", c.init) })
	for execID, e := range m.Execs {
		p := newProc(e.Pid, e.Terminal, nil)
		p.adopt(b.reaper, e.Exit, func() { c.recordExit(execID, p) })
		c.execs[execID] = p
	}
	return c
}

// Start runs `runtime start`.
func (b *Backend) Start(ctx context.Context, id string) error {
	c, rt, err := b.lookup(id)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.started || c.init.ended() {
		return api.Errorf(api.ErrFailedPrecondition, "", "container %s was already started", id)
	}
	if err := rt.run(ctx, stdio{}, "start", id); err != nil {
		return err
	}
	awaitExecve(c.init.pid, rt.path)
	c.started, c.meta.Started = true, time.Now()
	return c.save()
}

// awaitExecve waits (at most a second) until the container's init, which
// the runtime's `start` only released, has executed the container's
// command: as with the native backend, an exec right after Start then
// finds the command as pid 1, not the runtime's own process before its
// execve (seen: crun's `ps` showing "1 crun"). The init's executable is
// still the runtime binary until then; an init that exited ends the wait.
func awaitExecve(pid int, runtimePath string) {
	var rtStat unix.Stat_t
	if pid <= 0 || unix.Stat(runtimePath, &rtStat) != nil {
		return
	}
	exe := "/proc/" + strconv.Itoa(pid) + "/exe"
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		var st unix.Stat_t
		if unix.Stat(exe, &st) != nil || st.Dev != rtStat.Dev || st.Ino != rtStat.Ino {
			return
		}
	}
}

// Wait waits for the init or an exec to end.
func (b *Backend) Wait(ctx context.Context, id, execID string) (api.ExitStatus, error) {
	c, _, err := b.lookup(id)
	if err != nil {
		return api.ExitStatus{}, err
	}
	p, err := c.proc(execID)
	if err != nil {
		return api.ExitStatus{}, err
	}
	st, err := p.Wait(ctx)
	if errors.Is(err, reaper.ErrStatusUnknown) {
		return api.ExitStatus{}, api.Errorf(api.ErrUnavailable, "",
			"exit status of container %s is known only to its reaper (the plugin process was restarted)", id)
	}
	return api.ExitStatus{Code: st.Code, Signal: st.Signal}, err
}

// proc returns the init ("") or exec execID.
func (c *container) proc(execID string) (*proc, error) {
	if execID == "" {
		return c.init, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.execs[execID]
	if !ok {
		return nil, api.Errorf(api.ErrNotFound, "", "exec %s of container %s not found", execID, c.id)
	}
	return p, nil
}

// Kill signals the init through the runtime, or an exec directly.
func (b *Backend) Kill(ctx context.Context, id, execID string, signal int) error {
	c, rt, err := b.lookup(id)
	if err != nil {
		return err
	}
	p, err := c.proc(execID)
	if err != nil || execID != "" {
		if err != nil {
			return err
		}
		return p.signal(signal)
	}
	if p.ended() {
		return nil
	}
	if err := rt.run(ctx, stdio{}, "kill", id, itoa(signal)); err != nil {
		if p.ended() || notRunning(err) {
			return nil
		}
		return err
	}
	return nil
}

// notRunning reports a runtime's refusal to signal a stopped container.
func notRunning(err error) bool {
	msg := strings.ToLower(err.Error())
	return strings.Contains(msg, "not running") || strings.Contains(msg, "stopped") ||
		strings.Contains(msg, "does not exist") || strings.Contains(msg, "no such process")
}

// Delete runs `runtime delete --force` and removes what Create made.
func (b *Backend) Delete(ctx context.Context, id string) error {
	c, rt, err := b.lookup(id)
	if errors.Is(err, api.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := rt.run(ctx, stdio{}, "delete", "--force", id); err != nil {
		if _, serr := rt.state(ctx, id); !errors.Is(serr, api.ErrNotFound) {
			return err
		}
	}
	c.mu.Lock()
	unmountAll(c.meta.Mounted)
	c.init.closeMaster()
	for _, p := range c.execs {
		p.closeMaster()
	}
	// Under c.mu, so that recordExit (the runtime killed the init just now)
	// cannot write meta.json into the dir while it is being removed.
	c.deleted = true
	err = removeContainerDir(c.dir)
	c.mu.Unlock()
	if err != nil {
		return err
	}
	b.mu.Lock()
	delete(b.containers, id)
	b.mu.Unlock()
	return nil
}

// State reports the container from what the plugin knows.
func (b *Backend) State(_ context.Context, id string) (api.ContainerState, error) {
	c, _, err := b.lookup(id)
	if err != nil {
		return api.ContainerState{}, err
	}
	return c.state(), nil
}

// ResizePty resizes the terminal of the init or an exec.
func (b *Backend) ResizePty(_ context.Context, id, execID string, width, height uint) error {
	c, _, err := b.lookup(id)
	if err != nil {
		return err
	}
	p, err := c.proc(execID)
	if err != nil {
		return err
	}
	return p.resize(width, height)
}

// removeContainerDir removes a container's dir. An exec that is ending may
// still remove its own sub-directory at the same moment, so a removal that
// finds the dir refilled is tried again.
func removeContainerDir(dir string) error {
	var err error
	for range 5 {
		if err = os.RemoveAll(dir); err == nil {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return err
}
