package pluginmgr

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-plugin/runner"
)

// pipeGrace is how long the plugin's stdout and stderr are still read
// after the process exited: what it wrote is in the pipe by then, and
// only a child of the plugin that kept the pipes open writes later.
const pipeGrace = 200 * time.Millisecond

// procRunner runs one plugin process for go-plugin (a runner.Runner).
// Unlike go-plugin's own runner it keeps the exit status itself, so the
// crash interceptor never takes go-plugin's client lock (which Client()
// holds while its first stream fails), and it stops reading the pipes
// shortly after the process exits, even when a child of the plugin holds
// them open. It reads stderr itself, into the tail buffer; go-plugin gets
// an empty stderr.
type procRunner struct {
	cmd       *exec.Cmd
	stderr    io.Writer // the tail buffer, and os.Stderr in debug mode
	socketDir string    // go-plugin's PLUGIN_UNIX_SOCKET_DIR for this plugin
	owner     *os.File  // holds the owner lock of socketDir (see stale.go)
	stdout    *os.File  // read end, handed to go-plugin for the handshake

	exited  chan struct{} // closed once the process ended and stderr is read
	mu      sync.Mutex
	state   *os.ProcessState
	waitErr error
}

var _ runner.Runner = (*procRunner)(nil)

// Start starts the process with both output pipes, and a goroutine that
// waits for it.
func (r *procRunner) Start(context.Context) error {
	outR, outW, err := os.Pipe()
	if err != nil {
		return err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return err
	}
	r.cmd.Stdout, r.cmd.Stderr = outW, errW
	err = r.cmd.Start()
	outW.Close()
	errW.Close()
	if err != nil {
		outR.Close()
		errR.Close()
		return err
	}
	r.stdout = outR
	go r.wait(errR)
	return nil
}

// wait reaps the process, then gives the pipes pipeGrace to reach their
// end before closing them, which ends go-plugin's handshake reader too.
func (r *procRunner) wait(errR *os.File) {
	drained := make(chan struct{})
	go func() {
		_, _ = io.Copy(r.stderr, errR) // ends at EOF, or when closed below
		close(drained)
	}()
	err := r.cmd.Wait()
	select {
	case <-drained:
	case <-time.After(pipeGrace):
	}
	errR.Close()
	r.stdout.Close()
	<-drained
	r.mu.Lock()
	r.state, r.waitErr = r.cmd.ProcessState, err
	r.mu.Unlock()
	close(r.exited)
}

// waitExited waits up to limit for the process to end and its stderr to
// be read.
func (r *procRunner) waitExited(limit time.Duration) bool {
	t := time.NewTimer(limit)
	defer t.Stop()
	select {
	case <-r.exited:
		return true
	case <-t.C:
		return false
	}
}

// how says how the process ended ("exit status 2", "signal: killed").
func (r *procRunner) how() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.state == nil {
		return "exited"
	}
	return r.state.String()
}

func (r *procRunner) pid() int {
	if r.cmd.Process == nil {
		return 0
	}
	return r.cmd.Process.Pid
}

// Wait blocks until the process ended and returns how, as exec.Cmd.Wait.
func (r *procRunner) Wait(context.Context) error {
	<-r.exited
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.waitErr
}

// Kill sends SIGKILL to the plugin (its children are not ours to kill: a
// container must outlive its isolation plugin).
func (r *procRunner) Kill(context.Context) error {
	if r.cmd.Process == nil {
		return nil
	}
	if err := r.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	return nil
}

// Stdout is the handshake pipe go-plugin reads.
func (r *procRunner) Stdout() io.ReadCloser { return r.stdout }

// Stderr is empty: wait copies the real one into the tail buffer.
func (r *procRunner) Stderr() io.ReadCloser { return io.NopCloser(strings.NewReader("")) }

// Name is the plugin's path.
func (r *procRunner) Name() string { return r.cmd.Path }

// ID is the pid, "" before Start (go-plugin's Kill skips a client whose
// runner has no ID).
func (r *procRunner) ID() string {
	if r.cmd.Process == nil {
		return ""
	}
	return strconv.Itoa(r.cmd.Process.Pid)
}

// Diagnose adds nothing: startError says what went wrong in one line.
func (r *procRunner) Diagnose(context.Context) string { return "" }

// PluginToHost: the plugin shares our filesystem and network.
func (r *procRunner) PluginToHost(n, a string) (string, string, error) { return n, a, nil }

// HostToPlugin: the plugin shares our filesystem and network.
func (r *procRunner) HostToPlugin(n, a string) (string, string, error) { return n, a, nil }
