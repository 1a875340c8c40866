package cgroups

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/rrun-project/rrun/plugins/api"
)

// Fixes named in errors (the same as `rrun doctor` gives).
const (
	FixUnified  = "boot with cgroup v2 only (kernel command line: systemd.unified_cgroup_hierarchy=1 cgroup_no_v1=all)"
	FixDelegate = "delegate controllers to users: printf '[Service]\\nDelegate=cpu cpuset io memory pids\\n' | " +
		"sudo tee /etc/systemd/system/user@.service.d/delegate.conf, sudo systemctl daemon-reload, log in again"
	orDisableLimits = " or run with --cgroups=disabled"
)

// limitName names what a controller limits, for messages.
var limitName = map[string]string{"memory": "memory limits", "cpu": "cpu limits", "pids": "pids limits"}

// Delegation is a cgroup v2 directory the user owns, where containers'
// cgroups are made as children.
type Delegation struct {
	Mount       string   // host path of the cgroup2 mount
	Base        string   // the owned cgroup, relative to Mount ("/..." )
	Controllers []string // what Base offers its children (its cgroup.controllers)
}

// Delegated finds the deepest cgroup above this process's own that the
// user owns and that offers every controller in need. Its own cgroup is
// never used: it holds processes, so its children could not get domain
// controllers. The error says why there is none, with the fix.
func (h Host) Delegated(l Layout, need []string) (Delegation, error) {
	if l.V2Mount == "" {
		return Delegation{}, h.unavailable(l, need, "")
	}
	for dir := parentOf(l.Own); ; dir = parentOf(dir) {
		if h.ownedDir(filepath.Join(l.V2Mount, dir)) {
			ctrl := strings.Fields(h.read(filepath.Join(l.V2Mount, dir, "cgroup.controllers")))
			if missing := missingOf(need, ctrl); len(missing) == 0 {
				return Delegation{Mount: l.V2Mount, Base: dir, Controllers: ctrl}, nil
			} else if l.Version == VersionV2 {
				return Delegation{}, h.unavailable(l, missing, dir)
			}
		}
		if dir == "/" {
			return Delegation{}, h.unavailable(l, need, "")
		}
	}
}

// DelegatedForRuntime is Delegated for an isolation backend whose OCI
// runtime applies the limits itself (capability isolation.resources): the
// same search and the same refusals, and also a refusal on a hybrid host,
// where runtimes put limits in the v1 hierarchies and not in the cgroup2
// at /sys/fs/cgroup/unified that Delegated may have found.
func (h Host) DelegatedForRuntime(l Layout, need []string) (Delegation, error) {
	d, err := h.Delegated(l, need)
	if err != nil || l.Version == VersionV2 {
		return d, err
	}
	return Delegation{}, h.unavailable(l, need, "")
}

func parentOf(p string) string {
	if p == "" || p == "/" {
		return "/"
	}
	return filepath.Dir(p)
}

func missingOf(need, have []string) []string {
	var out []string
	for _, c := range need {
		if !slices.Contains(have, c) {
			out = append(out, c)
		}
	}
	return out
}

// ownedDir reports whether dir exists and belongs to the user.
func (h Host) ownedDir(dir string) bool {
	st, err := os.Stat(h.path(dir))
	if err != nil || !st.IsDir() {
		return false
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	return ok && int(sys.Uid) == h.UID
}

// unavailable explains why the controllers in need cannot be used here.
func (h Host) unavailable(l Layout, need []string, owned string) error {
	// statistics (no need) cannot be had by disabling cgroups: no such advice then
	what, ctrl, orDisable := "container statistics", "the cpu, memory and pids controllers", ""
	if len(need) > 0 {
		what, ctrl, orDisable = limitName[need[0]], "the "+need[0]+" controller", orDisableLimits
	}
	msg := fmt.Sprintf("%s need cgroup v2 with %s delegated to you; ", what, ctrl)
	switch l.Version {
	case VersionV1, VersionNone:
		return api.Errorf(api.ErrFailedPrecondition, "fix: "+FixUnified+orDisable, "%sthis host has cgroup %s", msg, l.Version)
	case VersionHybrid:
		offered := orNone(h.read(filepath.Join(l.V2Mount, "cgroup.controllers")))
		return api.Errorf(api.ErrFailedPrecondition, "fix: "+FixUnified+orDisable,
			"%sthis host has cgroup v1 (its cgroup2 at %s offers: %s)", msg, l.V2Mount, offered)
	}
	if owned != "" {
		offered := orNone(h.read(filepath.Join(l.V2Mount, owned, "cgroup.controllers")))
		return api.Errorf(api.ErrFailedPrecondition, "fix: "+FixDelegate+orDisable,
			"%syour cgroup %s offers only: %s", msg, owned, offered)
	}
	return api.Errorf(api.ErrFailedPrecondition, "fix: "+FixDelegate+orDisable,
		"%sno cgroup above %s belongs to you", msg, orNone(l.Own))
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
