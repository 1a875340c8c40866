package oci

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rrun-project/rrun/plugins/api"
)

// Exec runs `runtime exec --detach` and watches the process it starts.
func (b *Backend) Exec(ctx context.Context, req api.ExecRequest) (int, error) {
	var p specs.Process
	if err := json.Unmarshal(req.ProcessJSON, &p); err != nil || len(p.Args) == 0 {
		return 0, api.Errorf(api.ErrInvalidArgument, "", "invalid exec process: %v", err)
	}
	if !validID.MatchString(req.ExecID) {
		return 0, api.Errorf(api.ErrInvalidArgument, "", "invalid exec id %q", req.ExecID)
	}
	c, rt, err := b.lookup(req.ID)
	if err != nil {
		return 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.execs[req.ExecID]; ok {
		return 0, api.Errorf(api.ErrAlreadyExists, "", "exec %s of container %s already exists", req.ExecID, req.ID)
	}
	if !c.started || c.init.ended() {
		return 0, api.Errorf(api.ErrFailedPrecondition, "", "container %s is not running", req.ID)
	}
	proc, err := b.exec(ctx, rt, c, req, &p)
	if err != nil {
		return 0, err
	}
	return proc.pid, nil
}

// exec runs the runtime and records the process. A command that cannot
// run is recorded as an exec that ended with 127 or 126. The caller holds
// c.mu.
func (b *Backend) exec(ctx context.Context, rt *runtime, c *container, req api.ExecRequest, p *specs.Process) (*proc, error) {
	p.Terminal = req.Stdio.Terminal
	// The running container's root shows every mount: nothing is covered.
	if err := checkCommand("/proc/"+strconv.Itoa(c.init.pid)+"/root", p, nil); err != nil {
		return nil, b.failedExec(c, req.ExecID, err)
	}
	dir, err := os.MkdirTemp(c.dir, "exec-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	data, _ := json.Marshal(p) // it was just decoded
	procFile := filepath.Join(dir, "process.json")
	if err := os.WriteFile(procFile, data, 0o600); err != nil {
		return nil, err
	}
	args := []string{"exec", "--detach", "--process", procFile}
	args = append(args, "--pid-file", filepath.Join(dir, "pid"))
	mark := b.reaper.Mark()
	pid, master, err := b.runWithStdio(ctx, rt, req.Stdio, args, req.ID)
	if err != nil {
		return nil, b.failedExec(c, req.ExecID, commandError(err, p.Args[0]))
	}
	e := newProc(pid, req.Stdio.Terminal, master)
	// recordExit waits for c.mu, which the caller holds until the exec is
	// recorded.
	e.watch(b.reaper, mark, func() { c.recordExit(req.ExecID, e) })
	c.execs[req.ExecID] = e
	if c.meta.Execs == nil {
		c.meta.Execs = map[string]execMeta{}
	}
	c.meta.Execs[req.ExecID] = execMeta{Pid: pid, Terminal: req.Stdio.Terminal}
	if err := c.save(); err != nil {
		return nil, err
	}
	return e, nil
}

// failedExec records an exec whose command could not run as ended with
// docker's code, so that Wait on it returns that code.
func (b *Backend) failedExec(c *container, execID string, err error) error {
	code := 0
	switch api.KindOf(err) {
	case api.ErrCommandNotFound:
		code = 127
	case api.ErrCommandNotExecutable:
		code = 126
	default:
		return err
	}
	p := newProc(0, false, nil)
	p.finish(api.ExitStatus{Code: code})
	c.execs[execID] = p
	return err
}

func itoa(n int) string { return strconv.Itoa(n) }
