package oci

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/hashicorp/go-hclog"

	"github.com/rrun-project/rrun/plugins/api"
	"github.com/rrun-project/rrun/plugins/api/reaper"
)

// runtime runs the OCI runtime's command line.
type runtime struct {
	path   string
	root   string // --root: the runtime's state
	crun   bool
	cgroup bool // the runtime manages the container's cgroup (see managing)
	reaper *reaper.Reaper
	log    hclog.Logger
}

func newRuntime(path, root string, r *reaper.Reaper, log hclog.Logger) *runtime {
	return &runtime{path: path, root: root, crun: strings.Contains(filepath.Base(path), "crun"), reaper: r, log: log}
}

// managing returns the runtime for a container whose cgroup the runtime
// makes and removes and whose linux.resources it applies (cgroup: the
// spec has a cgroupsPath). crun then runs with its cgroupfs manager, else
// with none, so that a rootless crun on a cgroup v1 host never touches
// cgroups; runc's default is cgroupfs, and without a cgroupsPath it makes
// no cgroup rootless. Every command of one container uses the same one.
func (r *runtime) managing(cgroup bool) *runtime {
	if r.cgroup == cgroup {
		return r
	}
	c := *r
	c.cgroup = cgroup
	return &c
}

// stdio are the files a runtime command (and the container process it
// starts, for create and exec) gets as fds 0-2; nil means /dev/null.
type stdio [3]*os.File

// run runs the runtime with args. Its error messages are read from a log
// file, because create and exec hand their own stderr to the container.
func (r *runtime) run(ctx context.Context, fds stdio, args ...string) error {
	return r.runKeeping(ctx, fds, nil, args...)
}

// runKeeping is run with extra files as the runtime's fds 3, 4, ... (for
// its --preserve-fds).
func (r *runtime) runKeeping(ctx context.Context, fds stdio, extra []*os.File, args ...string) error {
	logFile, err := os.CreateTemp(r.root, "log-")
	if err != nil {
		return fmt.Errorf("failed to create a runtime log file: %w", err)
	}
	logFile.Close()
	defer os.Remove(logFile.Name())
	global := []string{"--root", r.root, "--log", logFile.Name(), "--log-format", "json"}
	if r.crun && r.cgroup {
		global = append(global, "--cgroup-manager=cgroupfs")
	} else if r.crun {
		global = append(global, "--cgroup-manager=disabled")
	}
	cmd := exec.CommandContext(ctx, r.path, append(global, args...)...)
	cmd.ExtraFiles = extra
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	// Only non-nil files: a nil *os.File in the interface would leave
	// the fd closed instead of /dev/null.
	if fds[0] != nil {
		cmd.Stdin = fds[0]
	}
	if fds[1] != nil {
		cmd.Stdout = fds[1]
	}
	if fds[2] != nil {
		cmd.Stderr = fds[2]
	}
	r.log.Debug("runtime", "args", cmd.Args)
	if err := r.reaper.Run(cmd); err != nil {
		msg := logMessage(logFile.Name())
		if msg == "" {
			msg = strings.TrimSpace(stderr.String())
		}
		if msg == "" {
			msg = err.Error()
		}
		return &runtimeError{args: args, msg: msg}
	}
	return nil
}

// runtimeError is a failed runtime command with the runtime's message.
type runtimeError struct {
	args []string
	msg  string
}

func (e *runtimeError) Error() string {
	return fmt.Sprintf("%s: %s", e.args[0], e.msg)
}

// logMessage returns the last error line of a runtime's JSON log.
func logMessage(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	var last string
	s := bufio.NewScanner(f)
	for s.Scan() {
		var line struct{ Level, Msg string }
		if json.Unmarshal(s.Bytes(), &line) == nil && line.Level == "error" {
			last = line.Msg
		}
	}
	return last
}

// runtimeState is what `runtime state` prints.
type runtimeState struct {
	Status string `json:"status"`
	Pid    int    `json:"pid"`
}

// state returns the runtime's view of container id; ErrNotFound when the
// runtime does not know it.
func (r *runtime) state(ctx context.Context, id string) (runtimeState, error) {
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, r.path, "--root", r.root, "state", id)
	cmd.Stdout = &out
	if err := r.reaper.Run(cmd); err != nil {
		return runtimeState{}, api.Errorf(api.ErrNotFound, "", "container %s not found by %s", id, filepath.Base(r.path))
	}
	var st runtimeState
	if err := json.Unmarshal(out.Bytes(), &st); err != nil {
		return runtimeState{}, fmt.Errorf("failed to read the state of container %s: %w", id, err)
	}
	return st, nil
}

// commandError turns a runtime's failure to run the user's command into
// ErrCommandNotFound or ErrCommandNotExecutable naming it; other errors
// come back as they are.
func commandError(err error, command string) error {
	msg := err.Error()
	low := strings.ToLower(msg)
	if !strings.Contains(low, "executable") && !strings.Contains(low, `exec: "`) {
		return err // crun: "executable file `x` not found", "open executable: ..."; runc: `exec: "x": ...`
	}
	switch {
	case strings.Contains(low, "not found") || strings.Contains(low, "no such file"):
		return api.Errorf(api.ErrCommandNotFound, "", "command %q not found in the container: %s", command, msg)
	case strings.Contains(low, "permission denied") || strings.Contains(low, "operation not permitted") ||
		strings.Contains(low, "is a directory") ||
		strings.Contains(low, "exec format error"):
		return api.Errorf(api.ErrCommandNotExecutable, "", "command %q cannot be executed in the container: %s", command, msg)
	}
	return err
}
