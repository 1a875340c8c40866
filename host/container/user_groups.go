package container

import (
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rrun-project/rrun/plugins/api"
)

// addGroups adds --group-add's groups (a gid, or a name from the
// container's /etc/group) to u's supplementary groups, as docker does.
//
// A session without a subordinate range has one gid: setgroups is denied
// there and no other gid exists, so the process keeps its own gid only.
// podman (crun) then drops the image user's supplementary groups and
// --group-add's alike, silently. rrun drops the image's (the image still
// runs, as with podman) but refuses a --group-add of another gid, which
// the user asked for by name and would otherwise not get.
func addGroups(u specs.User, groups []string, rootfs []api.Mount) (specs.User, error) {
	if len(groups) == 0 {
		return u, nil
	}
	db := userDB{root: bindRoot(rootfs)}
	single := singleIDSession()
	for _, g := range groups {
		gid, err := db.lookupGroup(g)
		if err != nil {
			return u, err
		}
		if single && gid != u.GID {
			return u, groupAddSingleIDError(g, gid, u.GID)
		}
		if !slices.Contains(u.AdditionalGids, gid) {
			u.AdditionalGids = append(u.AdditionalGids, gid)
		}
	}
	return u, nil
}

func groupAddSingleIDError(group string, gid, own uint32) error {
	return api.Errorf(api.ErrFailedPrecondition,
		"give your user a subordinate uid/gid range (rrun doctor prints the usermod line), or drop --group-add",
		"--group-add %s: without a subordinate gid range the container has one group, its gid %d, and cannot join gid %d",
		group, own, gid)
}

// singleIDSession reports whether this session (the calling process is
// inside it) maps a single uid and gid: the user has no subordinate range.
func singleIDSession() bool {
	return mappedCount(readIDMap("/proc/self/uid_map")) == 1 && mappedCount(readIDMap("/proc/self/gid_map")) == 1
}
