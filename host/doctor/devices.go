package doctor

import (
	"fmt"
	"strings"
)

// checkFuse: fuse-overlayfs is rrun's storage fallback where native
// overlay does not mount; it needs /dev/fuse.
func checkFuse(h *Host) Result {
	var problems, fixes, seen []string
	if err := h.CanOpen(h.path("/dev/fuse")); err != nil {
		problems = append(problems, fmt.Sprintf("cannot open /dev/fuse: %v", err))
		fixes = append(fixes, "sudo chmod 0666 /dev/fuse")
	} else {
		seen = append(seen, "/dev/fuse opens read-write")
	}
	if p, err := h.LookPath("fuse-overlayfs"); err != nil {
		problems = append(problems, "fuse-overlayfs not found in PATH")
		fixes = append(fixes, "sudo apt-get install fuse-overlayfs")
	} else {
		seen = append(seen, "fuse-overlayfs at "+p)
	}
	if len(problems) > 0 {
		return warn(join(strings.Join(problems, "; "), strings.Join(seen, "; "))+
			" (storage falls back to native overlay or vfs)", strings.Join(fixes, " && "))
	}
	return ok(strings.Join(seen, "; "))
}

// checkNetwork: slirp4netns or pasta give a container its own network; a
// run with the host's network needs neither. Warn only.
func checkNetwork(h *Host) Result {
	var seen, fixes []string
	helpers := 0
	for _, tool := range []struct{ name, pkg string }{{"slirp4netns", "slirp4netns"}, {"pasta", "passt"}} {
		if p, err := h.LookPath(tool.name); err == nil {
			seen = append(seen, tool.name+" at "+p)
			helpers++
		} else {
			seen = append(seen, tool.name+" not found")
			fixes = append(fixes, "sudo apt-get install "+tool.pkg)
		}
	}
	tunErr := h.CanOpen(h.path("/dev/net/tun"))
	if tunErr != nil {
		seen = append(seen, fmt.Sprintf("cannot open /dev/net/tun: %v", tunErr))
		fixes = append(fixes, "sudo chmod 0666 /dev/net/tun")
	} else {
		seen = append(seen, "/dev/net/tun opens")
	}
	evidence := strings.Join(seen, ", ")
	if helpers == 0 || tunErr != nil {
		return warn(evidence+" (no private network for containers; the host's network still works)", strings.Join(fixes, " && "))
	}
	return ok(evidence)
}
