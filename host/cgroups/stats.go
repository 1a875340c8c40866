package cgroups

import (
	"path/filepath"
	"strconv"
	"strings"
)

// Stats are a container cgroup's numbers; a field the cgroup does not
// have is 0 (and MemoryLimit 0 means no limit).
type Stats struct {
	CPUUsec     uint64 // cpu.stat usage_usec
	MemoryBytes uint64 // memory.current
	MemoryLimit uint64 // memory.max
	Pids        uint64 // pids.current
	PidsLimit   uint64 // pids.max
}

// ReadStats reads the cgroup at rel under d's mount.
func (h Host) ReadStats(d Delegation, rel string) Stats {
	dir := filepath.Join(d.Mount, rel)
	num := func(file string) uint64 {
		v := h.read(filepath.Join(dir, file))
		if unlimited(v) {
			return 0
		}
		n, _ := strconv.ParseUint(v, 10, 64)
		return n
	}
	s := Stats{MemoryBytes: num("memory.current"), MemoryLimit: num("memory.max"),
		Pids: num("pids.current"), PidsLimit: num("pids.max")}
	for _, line := range strings.Split(h.read(filepath.Join(dir, "cpu.stat")), "\n") {
		if v, ok := strings.CutPrefix(line, "usage_usec "); ok {
			s.CPUUsec, _ = strconv.ParseUint(v, 10, 64)
		}
	}
	return s
}

// Exists reports whether the cgroup at rel under d's mount exists.
func (h Host) Exists(d Delegation, rel string) bool {
	return h.ownedDir(filepath.Join(d.Mount, rel))
}
