package doctor

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Capability numbers from linux/capability.h.
const (
	capSetgid = 6
	capSetuid = 7
)

// helper is newuidmap or newgidmap as rrun would run it (found in PATH).
type helper struct {
	name, path, how string
	privileged      bool
}

// checkIDMapHelpers finds newuidmap and newgidmap the way rrun does
// (exec.LookPath), reads their setuid bit or file capabilities, and, when
// the user has subordinate ranges, maps them into a new user namespace.
func checkIDMapHelpers(h *Host) Result {
	uids, _, _ := h.subIDs("/etc/subuid")
	gids, _, _ := h.subIDs("/etc/subgid")
	hasRanges := len(uids) > 0 && len(gids) > 0
	var hs []helper
	for _, name := range []string{"newuidmap", "newgidmap"} {
		p, err := h.LookPath(name)
		if err != nil {
			return warn(name+" not found in PATH: single-uid mapping will be used", "sudo apt-get install uidmap")
		}
		hs = append(hs, h.inspectHelper(name, p))
	}
	evidence := hs[0].how + "; " + hs[1].how
	for _, x := range hs {
		if x.privileged {
			continue
		}
		if !hasRanges {
			return warn(evidence+" (not used: no subordinate range)", h.helperFix(x))
		}
		return fail(evidence, h.helperFix(x))
	}
	if !hasRanges {
		return ok(evidence + " (not used: no subordinate range)")
	}
	if err := h.TryIDMap(hs[0].path, hs[1].path, uids, gids); err != nil {
		return fail(join(evidence, fmt.Sprintf("mapping %s into a new user namespace: %v", describe(uids), err)),
			"sudo apt-get install --reinstall uidmap, and check /etc/subuid and /etc/subgid")
	}
	return ok(join(evidence, fmt.Sprintf("mapped uids %s and gids %s into a new user namespace", describe(uids), describe(gids))))
}

func (h *Host) inspectHelper(name, path string) helper {
	x := helper{name: name, path: path}
	st, err := h.Stat(path)
	if err != nil {
		x.how = fmt.Sprintf("%s: %v", path, err)
		return x
	}
	if st.UID == 0 && st.Mode&os.ModeSetuid != 0 {
		x.privileged, x.how = true, path+" is setuid root"
		return x
	}
	want := capSetuid
	if name == "newgidmap" {
		want = capSetgid
	}
	caps, _ := h.FileCaps(path)
	if hasPermittedCap(caps, want) {
		x.privileged, x.how = true, path+" has file capabilities"
		return x
	}
	x.how = fmt.Sprintf("%s is neither setuid root nor has file capabilities (mode %v, owner uid %d)", path, st.Mode, st.UID)
	return x
}

// hasPermittedCap reads a security.capability xattr (struct vfs_cap_data,
// little endian: magic, then permitted and inheritable words).
func hasPermittedCap(xattr []byte, capNum int) bool {
	if len(xattr) < 12 || capNum > 31 {
		return false
	}
	permitted := binary.LittleEndian.Uint32(xattr[4:8])
	return permitted&(1<<capNum) != 0
}

func (h *Host) helperFix(x helper) string {
	st, err := h.Stat(x.path)
	if err == nil && st.UID == 0 {
		return fmt.Sprintf("sudo chmod u+s %s (or: sudo apt-get install --reinstall uidmap)", x.path)
	}
	dir := filepath.Dir(x.path)
	return fmt.Sprintf("remove %s from PATH (%s is not owned by root), or sudo apt-get install --reinstall uidmap",
		strings.TrimSuffix(dir, "/"), x.path)
}
