package doctor

import (
	"fmt"
	"strings"
)

// checkSeccomp: every container gets docker's default seccomp profile,
// which needs a kernel with seccomp filters (CONFIG_SECCOMP_FILTER, which
// /proc/sys/kernel/seccomp/actions_avail shows) and libseccomp, linked
// into rrun, to compile it.
func checkSeccomp(h *Host) Result {
	const fix = "use a kernel with CONFIG_SECCOMP_FILTER and a build of rrun with cgo and libseccomp, " +
		"or run containers with --security-opt seccomp=unconfined"
	actions, found := h.readFile("/proc/sys/kernel/seccomp/actions_avail")
	if !found {
		return fail("this kernel has no seccomp filters (/proc/sys/kernel/seccomp/actions_avail is missing)", fix)
	}
	if !strings.Contains(" "+actions+" ", " errno ") {
		return fail("seccomp actions here: "+actions+" (no errno)", fix)
	}
	if h.Libseccomp == nil {
		return fail("rrun was built without libseccomp (cgo off)", fix)
	}
	version, err := h.Libseccomp()
	if err != nil {
		return fail(fmt.Sprintf("libseccomp: %v", err), fix)
	}
	return ok("kernel actions: " + actions + "; libseccomp " + version)
}
