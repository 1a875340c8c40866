package native

import (
	"encoding/json"
	"errors"
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/plugins/api"
	"github.com/rrun-project/rrun/plugins/isolation/native/nsinit"
)

// namespaceFlags are the namespaces the backend makes. A user namespace is
// never made: the plugin already runs in the session's.
var namespaceFlags = map[specs.LinuxNamespaceType]uintptr{
	specs.MountNamespace:   unix.CLONE_NEWNS,
	specs.PIDNamespace:     unix.CLONE_NEWPID,
	specs.UTSNamespace:     unix.CLONE_NEWUTS,
	specs.IPCNamespace:     unix.CLONE_NEWIPC,
	specs.NetworkNamespace: unix.CLONE_NEWNET,
	specs.CgroupNamespace:  unix.CLONE_NEWCGROUP,
	specs.UserNamespace:    0, // see newUserNS: made by userNSAttr
}

// parseSpec decodes and checks the spec of container id.
func parseSpec(id string, data []byte) (*specs.Spec, error) {
	var spec specs.Spec
	if err := json.Unmarshal(data, &spec); err != nil {
		return nil, api.Errorf(api.ErrInvalidArgument, "", "invalid runtime spec for container %s: %v", id, err)
	}
	if spec.Process == nil || len(spec.Process.Args) == 0 || spec.Process.Args[0] == "" {
		return nil, api.Errorf(api.ErrInvalidArgument, "", "runtime spec for container %s has no command", id)
	}
	if _, err := cloneFlags(&spec); err != nil {
		return nil, api.Errorf(api.ErrInvalidArgument, "", "runtime spec for container %s: %v", id, err)
	}
	if netNSPath(&spec) != "" && newUserNS(&spec) {
		// Its init, in a user namespace of its own, would have no
		// capability in the one that owns the named network namespace.
		return nil, api.Errorf(api.ErrInvalidArgument, "", "runtime spec for container %s: a network namespace named by path with a user namespace of the container's own is not supported", id)
	}
	if err := checkUserNS(&spec); err != nil {
		return nil, api.Errorf(api.ErrInvalidArgument, "", "runtime spec for container %s: %v", id, err)
	}
	if err := checkProcess(spec.Process, userMaps(&spec)); err != nil {
		return nil, api.Errorf(api.ErrInvalidArgument, idHint(err), "container %s: %v", id, err)
	}
	return &spec, nil
}

// unmappedIDError is a process user the session cannot switch to.
type unmappedIDError struct{ error }

// checkProcess refuses what the container side could not apply: unknown
// capabilities or rlimits, a user the session does not map.
func checkProcess(p *specs.Process, maps *specs.Linux) error {
	if err := nsinit.CheckProcess(p); err != nil {
		return err
	}
	if err := checkIDsMapped(p.User, maps); err != nil {
		return unmappedIDError{err}
	}
	return nil
}

func idHint(err error) string {
	if errors.As(err, new(unmappedIDError)) {
		return "give the user a subordinate id range in /etc/subuid and /etc/subgid, or run as root"
	}
	return ""
}

// cloneFlags returns the namespaces to create. A mount namespace is always
// made, since the init pivots its root.
func cloneFlags(spec *specs.Spec) (uintptr, error) {
	flags := uintptr(unix.CLONE_NEWNS)
	var uts bool
	if spec.Linux != nil {
		for _, ns := range spec.Linux.Namespaces {
			f, ok := namespaceFlags[ns.Type]
			if !ok {
				return 0, fmt.Errorf("unsupported namespace %q", ns.Type)
			}
			if ns.Path != "" && ns.Type == specs.NetworkNamespace {
				continue // the init joins it (netNSPath)
			}
			if ns.Path != "" && ns.Type != specs.UserNamespace {
				return 0, fmt.Errorf("joining the %s namespace %s is not supported", ns.Type, ns.Path)
			}
			flags |= f
			uts = uts || ns.Type == specs.UTSNamespace
		}
	}
	if !uts && (spec.Hostname != "" || spec.Domainname != "") {
		return 0, fmt.Errorf("a hostname needs a uts namespace")
	}
	return flags, nil
}

// netNSPath is the network namespace the spec names by path, which the
// init joins ("" when it makes one or shares the plugin's).
func netNSPath(spec *specs.Spec) string {
	if spec.Linux == nil {
		return ""
	}
	for _, ns := range spec.Linux.Namespaces {
		if ns.Type == specs.NetworkNamespace {
			return ns.Path
		}
	}
	return ""
}

// userMaps returns the spec's Linux section when the container gets a user
// namespace of its own (its ids are then checked against those maps).
func userMaps(spec *specs.Spec) *specs.Linux {
	if newUserNS(spec) {
		return spec.Linux
	}
	return nil
}

// checkIDsMapped fails early, with a message a user can act on, when the
// process's uid or gid does not exist in the session's user namespace (or
// in the container's own, when maps is set).
func checkIDsMapped(u specs.User, maps *specs.Linux) error {
	if maps != nil {
		if !inMappings(maps.UIDMappings, u.UID) || !inMappings(maps.GIDMappings, u.GID) {
			return fmt.Errorf("user %d:%d is not mapped in the container's user namespace", u.UID, u.GID)
		}
		return nil
	}
	if !idMapped("/proc/self/uid_map", u.UID) {
		return fmt.Errorf("uid %d is not mapped in the session's user namespace", u.UID)
	}
	if !idMapped("/proc/self/gid_map", u.GID) {
		return fmt.Errorf("gid %d is not mapped in the session's user namespace", u.GID)
	}
	return nil
}

// idMapped reports whether id is inside one of the map's ranges. An
// unreadable map says yes: setuid will tell.
func idMapped(mapFile string, id uint32) bool {
	maps := readMaps(mapFile)
	if maps == nil {
		return true // unreadable: let the kernel decide
	}
	for _, m := range maps {
		if uint64(id) >= uint64(m.ContainerID) && uint64(id) < uint64(m.ContainerID)+uint64(m.Size) {
			return true
		}
	}
	return false
}
