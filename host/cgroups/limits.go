package cgroups

import (
	"fmt"
	"math"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Controllers returns the controllers r needs, in a fixed order.
func Controllers(r *specs.LinuxResources) []string {
	var out []string
	if r == nil {
		return nil
	}
	if r.Memory != nil && (r.Memory.Limit != nil || r.Memory.Swap != nil) {
		out = append(out, "memory")
	}
	if r.CPU != nil && (r.CPU.Quota != nil || r.CPU.Shares != nil) {
		out = append(out, "cpu")
	}
	if r.Pids != nil && r.Pids.Limit != nil {
		out = append(out, "pids")
	}
	return out
}

// Files turns OCI resources into cgroup v2 interface files and values:
// memory.max, memory.swap.max (OCI's swap is memory+swap, as docker's
// --memory-swap), cpu.max ("QUOTA PERIOD"), cpu.weight (from shares, with
// the conversion crun and runc use) and pids.max. -1 or 0 means "max"
// where the kernel's default is no limit.
func Files(r *specs.LinuxResources) map[string]string {
	f := map[string]string{}
	if r == nil {
		return f
	}
	if m := r.Memory; m != nil {
		if m.Limit != nil {
			f["memory.max"] = maxOr(*m.Limit)
		}
		if m.Swap != nil {
			f["memory.swap.max"] = swapMax(m)
		}
	}
	if c := r.CPU; c != nil {
		if c.Quota != nil {
			period := uint64(100000)
			if c.Period != nil && *c.Period > 0 {
				period = *c.Period
			}
			f["cpu.max"] = fmt.Sprintf("%s %d", maxOr(*c.Quota), period)
		}
		if c.Shares != nil && *c.Shares > 0 {
			f["cpu.weight"] = strconv.FormatUint(SharesToWeight(*c.Shares), 10)
		}
	}
	if r.Pids != nil && r.Pids.Limit != nil {
		f["pids.max"] = maxOr(*r.Pids.Limit)
	}
	return f
}

// SharesToWeight maps cpu.shares [2, 262144] onto cpu.weight [1, 10000].
func SharesToWeight(shares uint64) uint64 {
	shares = min(max(shares, 2), 262144)
	return 1 + ((shares-2)*9999)/262142
}

func maxOr(v int64) string {
	if v <= 0 {
		return "max"
	}
	return strconv.FormatInt(v, 10)
}

// swapMax is the swap part of OCI's memory+swap limit.
func swapMax(m *specs.LinuxMemory) string {
	if *m.Swap <= 0 {
		return "max"
	}
	if m.Limit == nil || *m.Limit <= 0 {
		return strconv.FormatInt(*m.Swap, 10)
	}
	return strconv.FormatInt(max(*m.Swap-*m.Limit, 0), 10)
}

// unlimited reports whether a memory value read back means no limit.
func unlimited(v string) bool { return v == "max" || v == strconv.FormatInt(math.MaxInt64, 10) }
