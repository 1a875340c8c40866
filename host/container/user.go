package container

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rrun-project/rrun/plugins/api"
)

// resolveUser turns docker's USER value (name|uid[:group|gid]) into ids
// with moby's rules (GetExecUser): a name, or a uid with a passwd entry,
// takes that entry's primary gid; without an explicit group the user's
// groups in /etc/group become supplementary; AdditionalGids is the gid
// followed by those. Files are read through the rootfs bind mount.
func resolveUser(value string, rootfs []api.Mount) (specs.User, error) {
	name, group, hasGroup := strings.Cut(value, ":")
	db := userDB{root: bindRoot(rootfs)}
	uid, gid, matched, err := db.lookupUser(name)
	if err != nil {
		return specs.User{}, err
	}
	var sgids []uint32
	switch {
	case hasGroup:
		if gid, err = db.lookupGroup(group); err != nil {
			return specs.User{}, err
		}
	case matched != "":
		if sgids, err = db.memberOf(matched); err != nil {
			return specs.User{}, err
		}
	}
	return specs.User{UID: uid, GID: gid, AdditionalGids: append([]uint32{gid}, sgids...)}, nil
}

// userDB reads the container's /etc/passwd and /etc/group.
type userDB struct {
	root string // "" when the storage backend gives no readable rootfs
}

// lookupUser returns the uid, the primary gid and the passwd name of v.
func (db userDB) lookupUser(v string) (uint32, uint32, string, error) {
	n, numErr := strconv.ParseUint(v, 10, 32)
	if v == "" || (numErr == nil && db.root == "") {
		return uint32(n), 0, "", nil
	}
	entries, err := db.read("etc/passwd", numErr == nil)
	if err != nil {
		return 0, 0, "", err
	}
	for _, f := range entries {
		if len(f) < 4 || !passwdMatch(f, v, n, numErr == nil) {
			continue
		}
		uid, _ := strconv.ParseUint(f[2], 10, 32)
		gid, _ := strconv.ParseUint(f[3], 10, 32)
		return uint32(uid), uint32(gid), f[0], nil
	}
	if numErr == nil {
		return uint32(n), 0, "", nil
	}
	return 0, 0, "", notFound(v, "passwd")
}

// passwdMatch reports whether passwd entry f is user v. As in moby, a
// numeric v is a uid (compared as a number), never a name: an entry named
// "1000" with uid 0 must not make -u 1000 root.
func passwdMatch(f []string, v string, uid uint64, numeric bool) bool {
	if !numeric {
		return f[0] == v
	}
	id, err := strconv.ParseUint(f[2], 10, 32)
	return err == nil && id == uid
}

func (db userDB) lookupGroup(v string) (uint32, error) {
	if n, err := strconv.ParseUint(v, 10, 32); err == nil {
		return uint32(n), nil
	}
	entries, err := db.read("etc/group", false)
	if err != nil {
		return 0, err
	}
	for _, f := range entries {
		if len(f) >= 3 && f[0] == v {
			gid, _ := strconv.ParseUint(f[2], 10, 32)
			return uint32(gid), nil
		}
	}
	return 0, notFound(v, "group")
}

// memberOf returns the gids of the groups that list user as a member.
func (db userDB) memberOf(user string) ([]uint32, error) {
	entries, err := db.read("etc/group", true)
	if err != nil {
		return nil, err
	}
	var gids []uint32
	for _, f := range entries {
		if len(f) >= 4 && slices.Contains(strings.Split(f[3], ","), user) {
			gid, _ := strconv.ParseUint(f[2], 10, 32)
			gids = append(gids, uint32(gid))
		}
	}
	return gids, nil
}

// read returns the colon-separated lines of a file of the rootfs. With
// optional set, a missing file or rootfs is no entries.
func (db userDB) read(file string, optional bool) ([][]string, error) {
	if db.root == "" && optional {
		return nil, nil
	}
	if db.root == "" {
		return nil, api.Errorf(api.ErrInvalidArgument, "use a numeric uid:gid",
			"cannot resolve user or group names: the storage backend gives no readable rootfs")
	}
	f, err := os.Open(filepath.Join(db.root, file))
	if err != nil && optional && os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, api.Errorf(api.ErrInvalidArgument, "use a numeric uid:gid", "cannot read /%s of the container: %v", file, err)
	}
	defer f.Close()
	var out [][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := sc.Text(); line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, strings.Split(line, ":"))
		}
	}
	if errors.Is(sc.Err(), bufio.ErrTooLong) {
		return nil, api.Errorf(api.ErrInvalidArgument, "shorten that line of the image's file, or use a numeric uid:gid",
			"cannot read /%s of the container: a line is longer than %d KiB", file, bufio.MaxScanTokenSize>>10)
	}
	if sc.Err() != nil {
		return nil, api.Errorf(api.ErrInvalidArgument, "use a numeric uid:gid", "cannot read /%s of the container: %v", file, sc.Err())
	}
	return out, nil
}

func notFound(v, file string) error {
	return api.Errorf(api.ErrInvalidArgument, "check the name, or use a numeric uid:gid",
		"unable to find user or group %q in /etc/%s of the container", v, file)
}

func bindRoot(mounts []api.Mount) string {
	for _, m := range mounts {
		if m.Type == "bind" && (m.Target == "/" || m.Target == "") {
			return m.Source
		}
	}
	return ""
}
