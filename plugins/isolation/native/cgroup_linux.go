package native

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// cgroupDir is the directory of spec.Linux.CgroupsPath, which is relative
// to the cgroup2 mount (the host made the cgroup and wrote its limits), or
// "" when the spec names none.
func cgroupDir(spec *specs.Spec) (string, error) {
	if spec.Linux == nil || spec.Linux.CgroupsPath == "" {
		return "", nil
	}
	mount := cgroup2Mount()
	if mount == "" {
		return "", fmt.Errorf("the spec asks for cgroup %s but there is no cgroup2 mount", spec.Linux.CgroupsPath)
	}
	return filepath.Join(mount, spec.Linux.CgroupsPath), nil
}

// joinCgroup moves pid into the cgroup at dir before it runs anything of
// the container's.
func joinCgroup(dir string, pid int) error {
	if dir == "" {
		return nil
	}
	procs := filepath.Join(dir, "cgroup.procs")
	if err := os.WriteFile(procs, []byte(strconv.Itoa(pid)), 0); err != nil {
		return fmt.Errorf("failed to join cgroup %s: %w", dir, err)
	}
	return nil
}

// removeCgroup removes the container's cgroup once its processes are gone,
// as an OCI runtime's delete does.
func removeCgroup(dir string) {
	if dir != "" {
		// Best effort: a busy cgroup (a process escaped the kill) is
		// re-used by the host's next create of the same container.
		_ = syscall.Rmdir(dir)
	}
}

// cgroup2Mount finds the cgroup2 mount point in /proc/self/mountinfo.
func cgroup2Mount() string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		pre, post, ok := strings.Cut(s.Text(), " - ")
		fields := strings.Fields(pre)
		if ok && len(fields) >= 5 && strings.HasPrefix(post, "cgroup2 ") {
			return fields[4]
		}
	}
	return ""
}
