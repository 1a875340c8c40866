package doctor

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// limitControllers are what --memory, --cpus and --pids-limit need.
var limitControllers = []string{"cpu", "memory", "pids"}

const delegateFix = "sudo mkdir -p /etc/systemd/system/user@.service.d && " +
	"printf '[Service]\\nDelegate=cpu cpuset io memory pids\\n' | sudo tee /etc/systemd/system/user@.service.d/delegate.conf && " +
	"sudo systemctl daemon-reload, then log in again"

const unifiedFix = "boot with cgroup v2 only (kernel command line: systemd.unified_cgroup_hierarchy=1 cgroup_no_v1=all); " +
	"runs without --memory, --cpus or --pids-limit work as they are"

// cgroupMounts reads /proc/self/mountinfo: the cgroup2 mount point (if
// any) and the v1 hierarchies' mount points.
func (h *Host) cgroupMounts() (v2 string, v1 []string) {
	text, _ := h.readFile("/proc/self/mountinfo")
	for _, line := range strings.Split(text, "\n") {
		pre, post, found := strings.Cut(line, " - ")
		f, g := strings.Fields(pre), strings.Fields(post)
		if !found || len(f) < 5 || len(g) < 1 {
			continue
		}
		switch g[0] {
		case "cgroup2":
			v2 = f[4]
		case "cgroup":
			v1 = append(v1, f[4])
		}
	}
	return v2, v1
}

// checkCgroups names the cgroup layout and, on v2, which controllers the
// user's own cgroup offers and whether the user may write there.
func checkCgroups(h *Host) Result {
	v2, v1 := h.cgroupMounts()
	switch {
	case v2 == "" && len(v1) == 0:
		return skip("no cgroup filesystem in /proc/self/mountinfo: resource limits are unavailable")
	case len(v1) > 0 && v2 == "":
		return warn(fmt.Sprintf("cgroup v1 (%d hierarchies): resource limits are unavailable to an unprivileged user", len(v1)), unifiedFix)
	case len(v1) > 0:
		return warn(fmt.Sprintf("cgroup hybrid: %d v1 hierarchies and cgroup2 at %s: resource limits are unavailable (%s)",
			len(v1), v2, h.v2Controllers(v2)), unifiedFix)
	}
	own, ctrl, writable := h.ownCgroup(v2)
	subtree, _ := h.readFile(filepath.Join(own, "cgroup.subtree_control"))
	evidence := fmt.Sprintf("cgroup v2; own cgroup %s: controllers [%s], subtree_control [%s], %s",
		own, strings.Join(ctrl, " "), subtree, writableWord(writable))
	var missing []string
	for _, c := range limitControllers {
		if !writable || !slices.Contains(ctrl, c) {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return warn(fmt.Sprintf("%s: not delegated: %s, so --memory/--cpus/--pids-limit are refused", evidence, strings.Join(missing, " ")), delegateFix)
	}
	return ok(evidence + ": delegated")
}

// ownCgroup is the process's v2 cgroup directory, its controllers, and
// whether it can be written.
func (h *Host) ownCgroup(mount string) (dir string, ctrl []string, writable bool) {
	text, _ := h.readFile("/proc/self/cgroup")
	for _, line := range strings.Split(text, "\n") {
		if p, found := strings.CutPrefix(line, "0::"); found {
			dir = filepath.Join(mount, p)
		}
	}
	if dir == "" {
		dir = mount
	}
	c, _ := h.readFile(filepath.Join(dir, "cgroup.controllers"))
	return dir, strings.Fields(c), h.Writable(h.path(dir))
}

func (h *Host) v2Controllers(mount string) string {
	c, _ := h.readFile(filepath.Join(mount, "cgroup.controllers"))
	if c == "" {
		return "its controllers: none"
	}
	return "its controllers: " + c
}

func writableWord(w bool) string {
	if w {
		return "writable"
	}
	return "not writable"
}
