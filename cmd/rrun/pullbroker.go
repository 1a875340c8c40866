package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/host/network"
	"github.com/rrun-project/rrun/plugins/api"
)

// startPullBroker serves the pulls of a session whose network namespace
// will be a container's private one (see container.PullBrokerEnv): each is
// an `rrun pull` of its own, in the host's network. It returns the func
// that stops serving; with any other network there is nothing to serve.
func startPullBroker(runDir string, net *network.Plan) (func(), error) {
	if net == nil || !network.Private(net.Mode) {
		return func() {}, nil
	}
	path := filepath.Join(runDir, "pull-"+strconv.Itoa(os.Getpid())+".sock")
	b, err := container.ServePulls(path, pullInHostNetwork)
	if err != nil {
		return nil, err
	}
	os.Setenv(container.PullBrokerEnv, path)
	return func() {
		os.Unsetenv(container.PullBrokerEnv)
		_ = b.Close() // the socket goes with it; a leftover is replaced next time
	}, nil
}

// pullInHostNetwork runs `rrun pull` with the request's options. Its
// progress goes to stderr as a plain `rrun pull`'s would; its error line is
// kept back and returned, for the session to report once.
func pullInHostNetwork(req container.PullRequest) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("failed to find the rrun binary: %w", err)
	}
	args := append(globalArgs(), "pull", "--tls-verify="+strconv.FormatBool(!req.Options.InsecureSkipTLSVerify))
	if req.Options.AuthFile != "" {
		args = append(args, "--authfile", req.Options.AuthFile)
	}
	if req.Options.Platform != "" {
		args = append(args, "--platform", req.Options.Platform)
	}
	errFile, err := os.CreateTemp("", "rrun-pull-error-*.json")
	if err != nil {
		return fmt.Errorf("failed to create the pull's error file: %w", err)
	}
	errFile.Close()
	defer os.Remove(errFile.Name())
	cmd := exec.Command(exe, append(args, "--", req.Ref)...)
	cmd.Env = append(outsideEnv(), errorFileEnv+"="+errFile.Name())
	errLines := &errorLineFilter{out: os.Stderr}
	cmd.Stdout, cmd.Stderr = io.Discard, errLines
	err = cmd.Run()
	errLines.flush()
	if err == nil {
		return nil
	}
	if e, ok := readErrorFile(errFile.Name()); ok {
		return api.Errorf(api.ErrUnavailable, e.Hint, "%s", e.Message)
	}
	if msg := strings.TrimSpace(errLines.kept.String()); msg != "" {
		return errors.New(msg) // a pull that died before reporting
	}
	return fmt.Errorf("rrun pull %s: %w", req.Ref, err)
}

// outsideEnv is this process's environment without rrun's internal keys
// (a session's), so the pull starts a session of its own.
func outsideEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "_RRUN_") {
			env = append(env, kv)
		}
	}
	return env
}

// errorLineFilter passes lines on to out, except rrun's own error lines
// ("rrun: ..."), which it keeps without the prefix.
type errorLineFilter struct {
	out     io.Writer
	partial []byte
	kept    bytes.Buffer
}

func (f *errorLineFilter) Write(p []byte) (int, error) {
	f.partial = append(f.partial, p...)
	for {
		i := bytes.IndexByte(f.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		f.line(f.partial[:i+1])
		f.partial = f.partial[i+1:]
	}
}

func (f *errorLineFilter) line(l []byte) {
	if rest, ok := bytes.CutPrefix(l, []byte("rrun: ")); ok {
		f.kept.Write(rest)
		return
	}
	_, _ = f.out.Write(l) // progress only: a closed stderr loses nothing else
}

func (f *errorLineFilter) flush() {
	if len(f.partial) > 0 {
		f.line(f.partial)
		f.partial = nil
	}
}
