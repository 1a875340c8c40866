package container

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/rrun-project/rrun/plugins/api"
)

var validContainerName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]+$`)

// Resolve checks every option before any session starts, so that bad input
// fails with one line (api.ErrInvalidArgument, exit 125), and turns the
// options into data that means the same later: relative host paths become
// absolute against cwd, a bare -e KEY takes the caller's value (or is
// dropped), --network host takes the host's name as hostname (docker's
// rule). It is idempotent.
func (o *RunOptions) Resolve(cwd string) error {
	steps := []func() error{
		o.resolveEnv,
		o.checkProcess,
		func() error { return o.resolveMounts(cwd) },
		func() error { return o.resolveSeccomp(cwd) },
		func() error { return o.resolveAuthFile(cwd) },
		o.checkSecurity,
		o.checkLifecycle,
		o.checkRestart,
		o.resolveNetwork,
		o.checkLimits,
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

func invalid(hint, format string, args ...any) error {
	return api.Errorf(api.ErrInvalidArgument, hint, format, args...)
}

func (o *RunOptions) resolveEnv() error {
	var env []string
	for _, kv := range o.Env {
		key, _, hasVal := strings.Cut(kv, "=")
		if key == "" {
			return invalid("use -e KEY=VALUE or -e KEY", "invalid environment variable %q: no name", kv)
		}
		if !hasVal {
			v, ok := os.LookupEnv(key)
			if !ok {
				continue
			}
			kv = key + "=" + v
		}
		env = append(env, kv)
	}
	o.Env = env
	return nil
}

func (o *RunOptions) checkProcess() error {
	if o.Workdir != "" && !filepath.IsAbs(o.Workdir) {
		return invalid("give an absolute path, e.g. -w /app", "the working directory %q is not an absolute path", o.Workdir)
	}
	name, group, hasGroup := strings.Cut(o.User, ":")
	if o.User != "" && (name == "" || (hasGroup && group == "")) {
		return invalid("use -u NAME|UID[:GROUP|GID]", "invalid user %q", o.User)
	}
	if o.Name != "" && !validContainerName.MatchString(o.Name) {
		return invalid("use 2+ letters, digits, '_', '.' or '-', starting with a letter or digit", "invalid container name %q", o.Name)
	}
	if len(o.Hostname) > 64 || strings.ContainsAny(o.Hostname, " /\t\n") {
		return invalid("use at most 64 letters, digits, '-' and '.'", "invalid hostname %q", o.Hostname)
	}
	for k := range o.Labels {
		if k == "" {
			return invalid("use -l KEY=VALUE", "invalid label: no key")
		}
	}
	return nil
}

// resolveSeccomp reads a seccomp=FILE profile into the options.
func (o *RunOptions) resolveSeccomp(cwd string) error {
	opts, err := resolveSeccompFile(o.SecurityOpt, cwd)
	if err != nil {
		return err
	}
	o.SecurityOpt = opts
	return nil
}

func (o *RunOptions) checkSecurity() error {
	caps, err := o.capabilities()
	if err != nil {
		return err
	}
	if _, err := seccompFor(*o, caps); err != nil {
		return err
	}
	_, err = processRlimits(o.Ulimits)
	return err
}

func (o *RunOptions) checkLifecycle() error {
	if o.StopSignal != "" {
		if _, err := ParseSignal(o.StopSignal); err != nil {
			return err
		}
	}
	if o.StopTimeout != nil && *o.StopTimeout < -1 {
		return invalid("give seconds, or -1 to wait forever", "invalid --stop-timeout %d", *o.StopTimeout)
	}
	switch o.Pull {
	case "", "always", "missing", "never":
		return nil
	}
	return invalid(`use --pull always, missing or never`, "invalid --pull %q", o.Pull)
}
