package oci

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rrun-project/rrun/plugins/api"
)

// defaultPath is the PATH used when the process's environment has none.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// checkCommand looks p's command up in the root filesystem before the
// runtime does: crun and runc print their own message about a missing
// command on the container's stderr (which they must share with it), so
// Create fails first, with docker's one line (the native backend's
// wording). It returns nil whenever it cannot be sure, e.g. when a mount
// covers a place the command could be: the runtime decides then. Only the
// execute bits are looked at; the runtime checks the rest.
func checkCommand(root string, p *specs.Process, mounts []specs.Mount) error {
	arg0 := p.Args[0]
	if strings.Contains(arg0, "/") {
		return checkPath(root, arg0, path.Join("/", p.Cwd, arg0), mounts)
	}
	for _, dir := range strings.Split(envPath(p.Env), ":") {
		if dir == "" || !path.IsAbs(dir) {
			return nil // relative PATH entries: the runtime knows the cwd rules
		}
		if kind, ok := lookupOne(root, path.Join(dir, arg0), mounts); !ok || kind == found {
			return nil // found, or cannot tell: the runtime decides
		}
	}
	return api.Errorf(api.ErrCommandNotFound, "", "exec: %q: executable file not found in $PATH", arg0)
}

// checkPath checks a command given with a slash (abs is it made absolute).
func checkPath(root, arg0, abs string, mounts []specs.Mount) error {
	kind, ok := lookupOne(root, abs, mounts)
	switch {
	case !ok || kind == found:
		return nil
	case kind == missing:
		return api.Errorf(api.ErrCommandNotFound, "", "exec: %q: no such file or directory", arg0)
	}
	return api.Errorf(api.ErrCommandNotExecutable, "", "exec: %q: permission denied", arg0)
}

type lookupKind int

const (
	found lookupKind = iota
	missing
	notExecutable
)

// lookupOne says what p is in the root filesystem; ok is false when a
// mount covers p or where its symlinks lead, or on an unexpected error.
func lookupOne(root, p string, mounts []specs.Mount) (lookupKind, bool) {
	if covered(p, mounts) {
		return 0, false
	}
	full, err := securejoin.SecureJoin(root, p)
	if err != nil {
		return 0, false
	}
	rel := "/" + strings.TrimPrefix(strings.TrimPrefix(full, root), "/")
	if covered(rel, mounts) {
		return 0, false
	}
	st, err := os.Stat(full)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return missing, true
	case err != nil:
		return 0, false
	case st.IsDir() || st.Mode()&0o111 == 0:
		return notExecutable, true
	}
	return found, true
}

// covered reports whether a mount of the spec is at p or above it.
func covered(p string, mounts []specs.Mount) bool {
	p = path.Clean(p)
	for _, m := range mounts {
		d := path.Clean(m.Destination)
		if d == "/" || p == d || strings.HasPrefix(p, d+"/") {
			return true
		}
	}
	return false
}

// envPath is PATH of env, or the default.
func envPath(env []string) string {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			return v
		}
	}
	return defaultPath
}
