package container

import (
	"strconv"
	"strings"
)

// RestartPolicy is docker's --restart: Name is no, on-failure, always or
// unless-stopped; MaxRetries bounds on-failure (0: no bound).
type RestartPolicy struct {
	Name       string
	MaxRetries int
}

// ParseRestart reads --restart no|on-failure[:N]|always|unless-stopped
// ("" is no).
func ParseRestart(s string) (RestartPolicy, error) {
	name, max, hasMax := strings.Cut(s, ":")
	p := RestartPolicy{Name: name}
	switch name {
	case "":
		p.Name = "no"
	case "no", "always", "unless-stopped":
	case "on-failure":
		if hasMax {
			n, err := strconv.Atoi(max)
			if err != nil || n < 0 {
				return p, invalid("use on-failure:N with N a count", "invalid --restart %q: bad count", s)
			}
			p.MaxRetries = n
		}
		return p, nil
	default:
		return p, invalid("use no, on-failure[:N], always or unless-stopped", "invalid --restart %q", s)
	}
	if hasMax {
		return p, invalid("only on-failure takes a count", "invalid --restart %q", s)
	}
	return p, nil
}

// Restarts reports whether a container that exited with code after
// retries restarts (stopped: `rrun stop` or `rm -f` ended it).
func (p RestartPolicy) Restarts(code, retries int, stopped bool) bool {
	switch p.Name {
	case "always", "unless-stopped":
		return !stopped
	case "on-failure":
		return !stopped && code != 0 && (p.MaxRetries == 0 || retries < p.MaxRetries)
	}
	return false
}

// checkRestart refuses a bad --restart, and --restart with --rm as docker.
func (o *RunOptions) checkRestart() error {
	p, err := ParseRestart(o.Restart)
	if err != nil {
		return err
	}
	if p.Name != "no" && o.Remove {
		return invalid("choose one", "conflicting options: --restart and --rm")
	}
	return nil
}
