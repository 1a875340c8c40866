package nsinit

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// defaultPath is the PATH used when the spec's environment has none.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// rlimits maps the spec's names to resources.
var rlimits = map[string]int{
	"RLIMIT_AS": unix.RLIMIT_AS, "RLIMIT_CORE": unix.RLIMIT_CORE, "RLIMIT_CPU": unix.RLIMIT_CPU,
	"RLIMIT_DATA": unix.RLIMIT_DATA, "RLIMIT_FSIZE": unix.RLIMIT_FSIZE, "RLIMIT_LOCKS": unix.RLIMIT_LOCKS,
	"RLIMIT_MEMLOCK": unix.RLIMIT_MEMLOCK, "RLIMIT_MSGQUEUE": unix.RLIMIT_MSGQUEUE, "RLIMIT_NICE": unix.RLIMIT_NICE,
	"RLIMIT_NOFILE": unix.RLIMIT_NOFILE, "RLIMIT_NPROC": unix.RLIMIT_NPROC, "RLIMIT_RSS": unix.RLIMIT_RSS,
	"RLIMIT_RTPRIO": unix.RLIMIT_RTPRIO, "RLIMIT_RTTIME": unix.RLIMIT_RTTIME,
	"RLIMIT_SIGPENDING": unix.RLIMIT_SIGPENDING, "RLIMIT_STACK": unix.RLIMIT_STACK,
}

// setRlimits applies the spec's limits. Raising a hard limit needs
// privileges of the initial user namespace: that is logged, not fatal.
func setRlimits(ch *initChannel, p *specs.Process) error {
	for _, rl := range p.Rlimits {
		res, ok := rlimits[rl.Type]
		if !ok {
			return fmt.Errorf("unknown rlimit %s", rl.Type)
		}
		if err := unix.Prlimit(0, res, &unix.Rlimit{Cur: rl.Soft, Max: rl.Hard}, nil); err != nil {
			ch.debugf("failed to set %s to %d/%d: %v", rl.Type, rl.Soft, rl.Hard, err)
		}
	}
	return nil
}

// execProcess replaces the init with the command. It returns only by
// exiting 127 (not found) or 126 (not executable), as docker does, after
// telling the plugin why.
func execProcess(ch *initChannel, p *specs.Process) {
	arg0 := p.Args[0]
	path, err := lookPath(arg0, p.Env)
	if err == nil {
		resetSignals()
		err = unix.Exec(path, p.Args, p.Env)
	}
	switch {
	case errors.Is(err, errNotInPath):
		ch.send(Message{Type: MsgExecError, Kind: ExecNotFound,
			Message: fmt.Sprintf("exec: %q: executable file not found in $PATH", arg0)})
		os.Exit(127)
	case errors.Is(err, unix.ENOENT):
		ch.send(Message{Type: MsgExecError, Kind: ExecNotFound,
			Message: fmt.Sprintf("exec: %q: no such file or directory", arg0)})
		os.Exit(127)
	}
	ch.send(Message{Type: MsgExecError, Kind: ExecNotExecutable, Message: fmt.Sprintf("exec: %q: %v", arg0, err)})
	os.Exit(126)
}

var errNotInPath = errors.New("executable file not found in $PATH")

// lookPath finds file in the container's PATH like execvp: the first
// executable wins; a match that is not executable is returned when there
// is nothing better, so that exec reports why.
func lookPath(file string, env []string) (string, error) {
	if strings.Contains(file, "/") {
		return file, nil
	}
	path, fallback := defaultPath, ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, file)
		st, err := os.Stat(p)
		if err != nil {
			continue
		}
		if !st.IsDir() && unix.Access(p, unix.X_OK) == nil {
			return p, nil
		}
		if fallback == "" {
			fallback = p
		}
	}
	if fallback != "" {
		return fallback, nil
	}
	return "", errNotInPath
}
