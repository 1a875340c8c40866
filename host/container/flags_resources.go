package container

import (
	"fmt"
	"math"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
)

// addLimitFlags registers docker's resource-limit flags, --cgroups and
// --userns.
func addLimitFlags(fs *pflag.FlagSet, o *RunOptions) {
	fs.StringVarP(&o.Memory, "memory", "m", "", "Memory limit (e.g. 512m, 2g)")
	fs.StringVar(&o.MemorySwap, "memory-swap", "", "Swap limit equal to memory plus swap: '-1' to enable unlimited swap")
	fs.StringVar(&o.CPUs, "cpus", "", "Number of CPUs (e.g. 1.5)")
	fs.Int64VarP(&o.CPUShares, "cpu-shares", "c", 0, "CPU shares (relative weight)")
	fs.Int64Var(&o.PidsLimit, "pids-limit", 0, "Tune container pids limit (set -1 for unlimited)")
	fs.StringVar(&o.Cgroups, "cgroups", "", `Control container cgroup configuration ("enabled" or "disabled")`)
	addUserNSFlag(fs, o)
}

// checkLimits parses the limits and --userns, so that a bad value fails
// before any session starts. Whether this host can apply the limits is
// known only when the container is set up (see applyResources).
func (o *RunOptions) checkLimits() error {
	if _, err := o.resources(); err != nil {
		return err
	}
	switch o.Cgroups {
	case "", "enabled":
	case "disabled":
		if o.hasLimits() {
			fmt.Fprintln(os.Stderr, "rrun: warning: --cgroups=disabled: the resource limits given are not applied")
		}
	default:
		return invalid("use --cgroups enabled or disabled", "invalid --cgroups %q", o.Cgroups)
	}
	return o.checkUserNS()
}

func (o *RunOptions) hasLimits() bool {
	return o.Memory != "" || o.MemorySwap != "" || o.CPUs != "" || o.CPUShares != 0 || o.PidsLimit != 0
}

var byteSize = regexp.MustCompile(`^(\d+(?:\.\d+)?)\s*([kmgtp]?)i?b?$`)

// parseMemory reads docker's memory sizes: a number with an optional unit
// b, k, m, g, t or p (powers of 1024), e.g. 512m.
func parseMemory(flag, v string) (int64, error) {
	m := byteSize.FindStringSubmatch(strings.ToLower(strings.TrimSpace(v)))
	if m == nil {
		return 0, invalid("give a size such as 512m or 2g", "invalid %s %q", flag, v)
	}
	n, _ := strconv.ParseFloat(m[1], 64)
	n *= math.Pow(1024, float64(strings.Index("kmgtp", m[2])+1))
	if m[2] == "" {
		n = math.Trunc(n)
	}
	if n > math.MaxInt64/2 {
		return 0, invalid("give a size such as 512m or 2g", "%s %q is too large", flag, v)
	}
	return int64(n), nil
}

// parseCPUs reads --cpus: a positive number of CPUs, at most this host's.
func parseCPUs(v string) (quota int64, err error) {
	n, err := strconv.ParseFloat(v, 64)
	if err != nil || n <= 0 || math.IsInf(n, 0) || math.IsNaN(n) {
		return 0, invalid("give a positive number such as 1.5", "invalid --cpus %q", v)
	}
	if n > float64(runtime.NumCPU()) {
		return 0, invalid(fmt.Sprintf("this host has %d CPUs", runtime.NumCPU()), "--cpus %s is more than the CPUs available", v)
	}
	return int64(math.Round(n * cpuPeriod)), nil
}
