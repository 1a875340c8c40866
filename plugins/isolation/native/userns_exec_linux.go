package native

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// execOwnUser returns the user an exec process must map in a user
// namespace of its own, or nil. That is needed only in a single-uid
// session, where the container's user namespace (the session's, or the
// one made for a non-root process) maps exactly one id: an exec as another
// user (`exec -u 1000` in a container running as root) gets a namespace in
// which its uid and gid are that one id, the invoking user on the host.
// maps are the container's own maps (nil: the session's).
func execOwnUser(u specs.User, maps *specs.Linux, singleIDMap bool) *specs.User {
	if !singleIDMap || checkIDsMapped(u, maps) == nil {
		return nil
	}
	return &u
}

// execMaps are the maps an exec's ids are checked against: the exec's own
// namespace's when it gets one.
func execMaps(own *specs.User, maps *specs.Linux) *specs.Linux {
	if own == nil {
		return maps
	}
	return &specs.Linux{
		UIDMappings: []specs.LinuxIDMapping{{ContainerID: own.UID, Size: 1}},
		GIDMappings: []specs.LinuxIDMapping{{ContainerID: own.GID, Size: 1}},
	}
}
