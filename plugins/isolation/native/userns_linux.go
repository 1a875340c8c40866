package native

import (
	"fmt"
	"os"
	"strings"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rrun-project/rrun/plugins/isolation/native/nsinit"
)

// newUserNS reports whether the spec asks for a user namespace of the
// container's own: a user namespace entry without a path, and id maps.
// Without maps (or with a path) it means the session's, which the plugin
// already runs in.
func newUserNS(spec *specs.Spec) bool {
	if spec.Linux == nil || len(spec.Linux.UIDMappings)+len(spec.Linux.GIDMappings) == 0 {
		return false
	}
	for _, ns := range spec.Linux.Namespaces {
		if ns.Type == specs.UserNamespace && ns.Path == "" {
			return true
		}
	}
	return false
}

// checkUserNS refuses a new user namespace without both maps: the plugin,
// root in the session with every capability, writes them for the init.
func checkUserNS(spec *specs.Spec) error {
	if !newUserNS(spec) {
		return nil
	}
	if len(spec.Linux.UIDMappings) == 0 || len(spec.Linux.GIDMappings) == 0 {
		return fmt.Errorf("a user namespace needs uidMappings and gidMappings")
	}
	return nil
}

// userNSAttr sets the clone flag and the id maps of a nested user
// namespace on attr. The maps are in the session's ids (the "host" side of
// each line is an id of the session's user namespace).
func userNSAttr(spec *specs.Spec, attr *syscall.SysProcAttr) {
	if !newUserNS(spec) {
		return
	}
	attr.Cloneflags |= syscall.CLONE_NEWUSER
	attr.UidMappings = idMaps(spec.Linux.UIDMappings)
	attr.GidMappings = idMaps(spec.Linux.GIDMappings)
	// A single-uid session denied setgroups; its child namespaces must too.
	setgroups, _ := os.ReadFile("/proc/self/setgroups")
	attr.GidMappingsEnableSetgroups = strings.TrimSpace(string(setgroups)) == "allow"
	// The init keeps the session's uid 0 (container uid U with keep-id), so
	// that what it creates in the rootfs belongs to the image's root; its
	// capabilities in the new namespace survive the exec only as ambient
	// ones. setUser replaces them with the spec's.
	for c := 0; c <= nsinit.LastCap(); c++ {
		attr.AmbientCaps = append(attr.AmbientCaps, uintptr(c))
	}
}

func idMaps(ms []specs.LinuxIDMapping) []syscall.SysProcIDMap {
	out := make([]syscall.SysProcIDMap, 0, len(ms))
	for _, m := range ms {
		out = append(out, syscall.SysProcIDMap{ContainerID: int(m.ContainerID), HostID: int(m.HostID), Size: int(m.Size)})
	}
	return out
}

// inMappings reports whether id is inside one of the maps' container ranges.
func inMappings(ms []specs.LinuxIDMapping, id uint32) bool {
	for _, m := range ms {
		if id >= m.ContainerID && uint64(id) < uint64(m.ContainerID)+uint64(m.Size) {
			return true
		}
	}
	return false
}

// initUserMaps returns the id maps of pid's user namespace when it is not
// the plugin's own (a keep-id container), as the plugin sees them.
func initUserMaps(pid int) *specs.Linux {
	same, err := sameFile("/proc/self/ns/user", fmt.Sprintf("/proc/%d/ns/user", pid))
	if err != nil || same {
		return nil
	}
	return &specs.Linux{UIDMappings: readMaps(fmt.Sprintf("/proc/%d/uid_map", pid)), GIDMappings: readMaps(fmt.Sprintf("/proc/%d/gid_map", pid))}
}

func readMaps(path string) []specs.LinuxIDMapping {
	data, _ := os.ReadFile(path)
	var out []specs.LinuxIDMapping
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var m specs.LinuxIDMapping
		if _, err := fmt.Sscan(line, &m.ContainerID, &m.HostID, &m.Size); err == nil {
			out = append(out, m)
		}
	}
	return out
}
