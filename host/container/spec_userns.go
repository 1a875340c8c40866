package container

import (
	"context"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rrun-project/rrun/host/session"
	"github.com/rrun-project/rrun/plugins/api"
)

// applyUserNS gives a container a user namespace of its own, nested in the
// session's, when it needs one:
//
//   - --userns=keep-id: container uid U (the invoking user's) is session uid
//     0, which is U on the host, so files it writes into a bind mount belong
//     to U afterwards; the other ids are the session's shifted around it
//     (container 0..U-1 = session 1..U, U+1.. = U+1..).
//   - a single-uid session (no subordinate range) whose process runs as
//     another user than root (an image's `USER 1000`, `-u 1000`): the
//     session has one id, so the container's one id becomes the process's
//     uid and gid instead of 0, and the process owns what it writes.
//
// Nothing of the image is chowned. The isolation backend creates the
// namespace and writes the maps (the session's uid 0 may). See docs/ci.md
// for what the image's own files look like inside.
func applyUserNS(spec *specs.Spec, o RunOptions) error {
	uids, gids := mappedCount(readIDMap("/proc/self/uid_map")), mappedCount(readIDMap("/proc/self/gid_map"))
	if uids == 1 && gids == 1 {
		return singleIDUserNS(spec)
	}
	if o.UserNS != UserNSKeepID {
		return nil
	}
	if uids == 0 || gids == 0 {
		return api.Errorf(api.ErrFailedPrecondition, "", "--userns=keep-id: cannot read the session's id maps")
	}
	um, gm := keepIDMaps(uids, gids)
	setUserNS(spec, um, gm)
	return nil
}

// MayOwnUserNS reports whether a container of o may get a user namespace
// of its own (applyUserNS): with keep-id, or in a single-uid session. Such
// a container's init cannot join a network namespace of the session's
// user namespace (it has no capability there).
func MayOwnUserNS(o RunOptions) bool {
	return o.UserNS == UserNSKeepID || singleIDSession()
}

// keepIDMaps are a keep-id container's maps in a session with uids and
// gids ids.
func keepIDMaps(uids, gids uint32) (um, gm []specs.LinuxIDMapping) {
	uid, gid := session.HostIDs()
	return keepIDMap(uint32(uid), uids), keepIDMap(uint32(gid), gids)
}

// prepareRootfs prepares the container's root filesystem. A keep-id
// container in a session with a subordinate range gets one on which the
// image's files keep their owners seen through its maps (see
// api.IDMappedRootfs), when the storage plugin can; else the usual one, on
// which root's files appear owned by the invoking user.
func prepareRootfs(ctx context.Context, b *Backends, o RunOptions, id, image string) ([]api.Mount, error) {
	uids, gids := mappedCount(readIDMap("/proc/self/uid_map")), mappedCount(readIDMap("/proc/self/gid_map"))
	s := b.Storage
	m, ok := s.(api.IDMappedRootfs)
	if o.UserNS != UserNSKeepID || uids <= 1 || gids <= 1 || !ok || !b.storageCan(ctx, api.CapStorageIDMap) {
		return s.PrepareRootfs(ctx, id, image)
	}
	um, gm := keepIDMaps(uids, gids)
	return m.PrepareMappedRootfs(ctx, id, image, toAPIMaps(um), toAPIMaps(gm))
}

func toAPIMaps(ms []specs.LinuxIDMapping) []api.IDMap {
	out := make([]api.IDMap, 0, len(ms))
	for _, m := range ms {
		out = append(out, api.IDMap{ContainerID: m.ContainerID, HostID: m.HostID, Size: m.Size})
	}
	return out
}

// singleIDUserNS maps the process's uid and gid to the session's only id
// (the invoking user) when they are not 0, with keep-id or without: the
// only mapping in which the process can be the user it asks to be.
func singleIDUserNS(spec *specs.Spec) error {
	if spec.Process == nil {
		return nil
	}
	u := spec.Process.User
	if u.UID == 0 && u.GID == 0 {
		return nil
	}
	// setgroups is denied in a single-uid session: the process keeps its
	// gid only (the backend tolerates the refusal).
	spec.Process.User.AdditionalGids = []uint32{u.GID}
	setUserNS(spec, []specs.LinuxIDMapping{{ContainerID: u.UID, HostID: 0, Size: 1}},
		[]specs.LinuxIDMapping{{ContainerID: u.GID, HostID: 0, Size: 1}})
	return nil
}

func setUserNS(spec *specs.Spec, uids, gids []specs.LinuxIDMapping) {
	spec.Linux.Namespaces = append(spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
	spec.Linux.UIDMappings, spec.Linux.GIDMappings = uids, gids
}

// keepIDMap maps container id to session id 0 and the session's other
// n-1 ids around it.
func keepIDMap(id uint32, n uint32) []specs.LinuxIDMapping {
	m := []specs.LinuxIDMapping{{ContainerID: id, HostID: 0, Size: 1}}
	if n <= 1 {
		return m
	}
	below := min(id, n-1)
	if below > 0 {
		m = append([]specs.LinuxIDMapping{{ContainerID: 0, HostID: 1, Size: below}}, m...)
	}
	if id+1 < n {
		m = append(m, specs.LinuxIDMapping{ContainerID: id + 1, HostID: id + 1, Size: n - 1 - id})
	}
	return m
}

// mappedCount is how many ids a map gives, from 0 on.
func mappedCount(m []api.IDMap) uint32 {
	var n uint32
	for _, l := range m {
		n += l.Size
	}
	return n
}

// applyHostLimits adds, to a built spec, what needs the session: the
// keep-id user namespace and the cgroup with the resource limits.
func applyHostLimits(spec *specs.Spec, o RunOptions, id string, env SpecEnv) error {
	if err := applyUserNS(spec, o); err != nil {
		return err
	}
	return applyResources(spec, o, id, env)
}
