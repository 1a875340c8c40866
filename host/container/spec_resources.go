package container

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rrun-project/rrun/host/cgroups"
)

// cpuPeriod is the cpu.max period --cpus is expressed in (docker's).
const cpuPeriod = 100000

// minMemory is docker's smallest --memory.
const minMemory = 6 << 20

// resources turns the limit flags into OCI resources (nil without any).
func (o RunOptions) resources() (*specs.LinuxResources, error) {
	if !o.hasLimits() {
		return nil, nil
	}
	r := &specs.LinuxResources{}
	if err := o.memoryResources(r); err != nil {
		return nil, err
	}
	if o.CPUs != "" {
		quota, err := parseCPUs(o.CPUs)
		if err != nil {
			return nil, err
		}
		period := uint64(cpuPeriod)
		r.CPU = &specs.LinuxCPU{Quota: &quota, Period: &period}
	}
	if o.CPUShares < 0 {
		return nil, invalid("give a positive weight, e.g. 512 (1024 is the default)", "invalid --cpu-shares %d", o.CPUShares)
	}
	if o.CPUShares > 0 {
		if r.CPU == nil {
			r.CPU = &specs.LinuxCPU{}
		}
		shares := uint64(o.CPUShares)
		r.CPU.Shares = &shares
	}
	if o.PidsLimit < -1 {
		return nil, invalid("give a positive number, or -1 for no limit", "invalid --pids-limit %d", o.PidsLimit)
	}
	if o.PidsLimit != 0 {
		limit := o.PidsLimit
		r.Pids = &specs.LinuxPids{Limit: &limit}
	}
	return r, nil
}

// memoryResources applies docker's rules: --memory-swap is memory plus
// swap, needs --memory, and -1 leaves swap unlimited.
func (o RunOptions) memoryResources(r *specs.LinuxResources) error {
	if o.Memory == "" && o.MemorySwap == "" {
		return nil
	}
	if o.Memory == "" {
		return invalid("give --memory too", "--memory-swap needs --memory")
	}
	mem, err := parseMemory("--memory", o.Memory)
	if err != nil {
		return err
	}
	if mem < minMemory {
		return invalid("give at least 6m", "--memory %s is below the minimum of 6 MiB", o.Memory)
	}
	r.Memory = &specs.LinuxMemory{Limit: &mem}
	switch o.MemorySwap {
	case "":
		return nil
	case "-1":
		unlimited := int64(-1)
		r.Memory.Swap = &unlimited
		return nil
	}
	swap, err := parseMemory("--memory-swap", o.MemorySwap)
	if err != nil {
		return err
	}
	if swap < mem {
		return invalid("--memory-swap is memory plus swap: give at least --memory, or -1", "--memory-swap %s is below --memory %s", o.MemorySwap, o.Memory)
	}
	r.Memory.Swap = &swap
	return nil
}

// applyResources puts the container in a cgroup of its own, with its
// limits, where the user has a delegated cgroup v2 subtree. Limits that
// cannot be applied fail the run (exit 125) with the reason and the fix;
// --cgroups=disabled (or [containers] cgroups in config.toml) skips
// cgroups altogether. Without limits a cgroup is made only where one can
// be, for `rrun stats`. The host writes the cgroup itself unless the
// backend applies linux.resources (env.BackendResources): then the spec
// carries the cgroup's path and the limits, and nothing is written here.
func applyResources(spec *specs.Spec, o RunOptions, id string, env SpecEnv) error {
	if firstNonEmpty(o.Cgroups, env.Cgroups) == "disabled" {
		return nil
	}
	r, err := o.resources()
	if err != nil {
		return err
	}
	// In the session uid 0 is the invoking user: RealHost's uid owns what
	// the user owns.
	h := cgroups.RealHost()
	if env.cgroupHost != nil {
		h = *env.cgroupHost
	}
	need := cgroups.Controllers(r)
	delegated := h.Delegated
	if env.BackendResources {
		delegated = h.DelegatedForRuntime
	}
	d, err := delegated(h.Detect(), need)
	if err != nil {
		if len(need) > 0 {
			return err
		}
		return nil
	}
	rel := d.PathFor(id)
	if !env.BackendResources {
		if rel, err = h.Create(d, id, r); err != nil {
			return fmt.Errorf("failed to set up the cgroup of container %s: %w", id, err)
		}
	}
	spec.Linux.CgroupsPath, spec.Linux.Resources = rel, r
	return nil
}
