package container

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rrun-project/rrun/plugins/api"
)

// resolveUser turns docker's USER value (name|uid[:group|gid]) into ids.
// Names are looked up in the container's /etc/passwd and /etc/group, read
// through the rootfs bind mount when the storage backend gives one.
func resolveUser(value string, rootfs []api.Mount) (specs.User, error) {
	if value == "" {
		return specs.User{}, nil
	}
	name, group, hasGroup := strings.Cut(value, ":")
	root := bindRoot(rootfs)
	uid, pwGID, err := lookupID(name, filepath.Join(root, "etc/passwd"), root != "")
	if err != nil {
		return specs.User{}, err
	}
	gid := pwGID
	if hasGroup {
		if gid, _, err = lookupID(group, filepath.Join(root, "etc/group"), root != ""); err != nil {
			return specs.User{}, err
		}
	}
	return specs.User{UID: uid, GID: gid}, nil
}

// lookupID resolves a numeric id or a name from a passwd/group style file.
// For passwd files the second result is the user's primary gid.
func lookupID(v, file string, canRead bool) (uint32, uint32, error) {
	if n, err := strconv.ParseUint(v, 10, 32); err == nil {
		return uint32(n), 0, nil
	}
	if !canRead {
		return 0, 0, api.Errorf(api.ErrInvalidArgument, "use a numeric uid:gid",
			"cannot resolve user or group %q: the storage backend gives no readable rootfs", v)
	}
	f, err := os.Open(file)
	if err != nil {
		return 0, 0, api.Errorf(api.ErrInvalidArgument, "use a numeric uid:gid", "cannot resolve %q: %v", v, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ":")
		if len(fields) < 3 || fields[0] != v {
			continue
		}
		id, _ := strconv.ParseUint(fields[2], 10, 32)
		var gid uint64
		if len(fields) > 3 {
			gid, _ = strconv.ParseUint(fields[3], 10, 32)
		}
		return uint32(id), uint32(gid), nil
	}
	return 0, 0, api.Errorf(api.ErrInvalidArgument, "check the name, or use a numeric uid:gid",
		"unable to find user or group %q in %s of the container", v, filepath.Base(file))
}

func bindRoot(mounts []api.Mount) string {
	for _, m := range mounts {
		if m.Type == "bind" && (m.Target == "/" || m.Target == "") {
			return m.Source
		}
	}
	return ""
}
