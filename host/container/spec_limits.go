package container

import (
	"math"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rrun-project/rrun/plugins/api"
)

// ulimitNames are docker's --ulimit names.
var ulimitNames = map[string]string{
	"as": "RLIMIT_AS", "core": "RLIMIT_CORE", "cpu": "RLIMIT_CPU", "data": "RLIMIT_DATA",
	"fsize": "RLIMIT_FSIZE", "locks": "RLIMIT_LOCKS", "memlock": "RLIMIT_MEMLOCK",
	"msgqueue": "RLIMIT_MSGQUEUE", "nice": "RLIMIT_NICE", "nofile": "RLIMIT_NOFILE",
	"nproc": "RLIMIT_NPROC", "rss": "RLIMIT_RSS", "rtprio": "RLIMIT_RTPRIO",
	"rttime": "RLIMIT_RTTIME", "sigpending": "RLIMIT_SIGPENDING", "stack": "RLIMIT_STACK",
}

func ulimitError(v, format string, args ...any) error {
	return api.Errorf(api.ErrInvalidArgument, "use --ulimit NAME=SOFT[:HARD], e.g. nofile=1024:2048",
		"invalid --ulimit %q: "+format, append([]any{v}, args...)...)
}

// parseUlimit reads NAME=SOFT[:HARD]; -1 or "unlimited" is no limit.
func parseUlimit(v string) (specs.POSIXRlimit, error) {
	name, vals, ok := strings.Cut(v, "=")
	typ, known := ulimitNames[name]
	switch {
	case !ok:
		return specs.POSIXRlimit{}, ulimitError(v, "no '='")
	case !known:
		return specs.POSIXRlimit{}, ulimitError(v, "unknown limit %q", name)
	}
	softS, hardS, hasHard := strings.Cut(vals, ":")
	soft, err := parseLimit(softS)
	if err != nil {
		return specs.POSIXRlimit{}, ulimitError(v, "bad soft limit %q", softS)
	}
	hard := soft
	if hasHard {
		if hard, err = parseLimit(hardS); err != nil {
			return specs.POSIXRlimit{}, ulimitError(v, "bad hard limit %q", hardS)
		}
	}
	if soft > hard {
		return specs.POSIXRlimit{}, ulimitError(v, "the soft limit is above the hard limit")
	}
	return specs.POSIXRlimit{Type: typ, Soft: soft, Hard: hard}, nil
}

func parseLimit(s string) (uint64, error) {
	if s == "-1" || s == "unlimited" {
		return math.MaxUint64, nil
	}
	return strconv.ParseUint(s, 10, 64)
}

// processRlimits returns the --ulimit values, a later one for the same
// name replacing an earlier one.
func processRlimits(vals []string) ([]specs.POSIXRlimit, error) {
	var out []specs.POSIXRlimit
	for _, v := range vals {
		rl, err := parseUlimit(v)
		if err != nil {
			return nil, err
		}
		i := len(out)
		for j, old := range out {
			if old.Type == rl.Type {
				i = j
			}
		}
		if i == len(out) {
			out = append(out, rl)
		} else {
			out[i] = rl
		}
	}
	return out, nil
}
