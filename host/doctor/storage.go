package doctor

import (
	"fmt"
	"os"
	"path/filepath"
)

// fsNames are statfs magic numbers (linux/magic.h) of filesystems a data dir
// may be on.
var fsNames = map[int64]string{
	0xEF53: "ext4", 0x58465342: "xfs", 0x9123683E: "btrfs", 0x01021994: "tmpfs",
	0x2FC12FC1: "zfs", 0x6969: "nfs", 0x794C7630: "overlay", 0x65735546: "fuse",
	0xFF534D42: "cifs", 0xFE534D42: "smb2", 0xF2F52010: "f2fs", 0x858458F6: "ramfs",
	0x73717368: "squashfs", 0x61756673: "aufs", 0xF15F: "ecryptfs", 0x5346544E: "ntfs",
}

// remoteFS are filesystems where a store of files owned by subordinate ids
// is known to break (root squash, no xattrs, no overlay upper dir).
var remoteFS = map[string]bool{"nfs": true, "cifs": true, "smb2": true, "fuse": true}

func fsName(t int64) string {
	if n, ok := fsNames[t]; ok {
		return n
	}
	return fmt.Sprintf("unknown (0x%x)", t)
}

// existingDir is dir or its nearest existing parent: where the data dir
// will be created, on the same filesystem.
func existingDir(h *Host, dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		if st, err := h.Stat(d); err == nil && st.IsDir {
			return d
		}
		if d == filepath.Dir(d) {
			return d
		}
	}
}

// checkStorageFS names the data dir's filesystem and proves it writable.
func checkStorageFS(h *Host) Result {
	dir := existingDir(h, h.DataDir)
	fs, err := h.Statfs(dir)
	if err != nil {
		return fail(fmt.Sprintf("statfs %s: %v", dir, err), "set XDG_DATA_HOME to a directory you can write")
	}
	name := fsName(fs.Type)
	tmp, err := os.MkdirTemp(dir, ".rrun-doctor-")
	if err != nil {
		return fail(fmt.Sprintf("data dir %s (%s): cannot write in %s: %v", h.DataDir, name, dir, err),
			"set XDG_DATA_HOME to a directory you own on a local disk")
	}
	os.Remove(tmp)
	evidence := fmt.Sprintf("data dir %s is on %s", h.DataDir, name)
	if remoteFS[name] {
		return warn(evidence+": files of subordinate ids and overlay upper dirs often fail there",
			"set XDG_DATA_HOME to a directory on a local disk (ext4, xfs, btrfs)")
	}
	return ok(evidence)
}

// checkOverlay mounts overlay in a user namespace on the data dir's
// filesystem. When it cannot, rrun still runs with fuse-overlayfs or vfs.
func checkOverlay(h *Host) Result {
	dir := existingDir(h, h.DataDir)
	tmp, err := os.MkdirTemp(dir, ".rrun-doctor-")
	if err != nil {
		return skip(fmt.Sprintf("cannot write in %s: %v", dir, err))
	}
	defer os.RemoveAll(tmp)
	if err := h.ProbeOverlay(tmp); err != nil {
		return warn(fmt.Sprintf("mounting overlay (userxattr) in a user namespace in %s: %v", dir, err),
			"use fuse-overlayfs (config.toml: [storage.options] driver = \"fuse-overlayfs\") or vfs (rrun --storage vfs), "+
				"or set XDG_DATA_HOME to a local ext4/xfs directory")
	}
	return ok(fmt.Sprintf("mounted and unmounted overlay (userxattr) in a user namespace in %s", dir))
}

// minFree is the space below which pulling a few images fails.
const minFree = 2 << 30

func checkDiskSpace(h *Host) Result {
	dir := existingDir(h, h.DataDir)
	fs, err := h.Statfs(dir)
	if err != nil {
		return skip(fmt.Sprintf("statfs %s: %v", dir, err))
	}
	evidence := fmt.Sprintf("%s free on the filesystem of %s", humanBytes(fs.Avail), dir)
	if fs.Avail < minFree {
		return warn(evidence+" (under 2 GiB)", "free space on that filesystem, or set XDG_DATA_HOME to a bigger one")
	}
	return ok(evidence)
}

func humanBytes(n uint64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d KiB", n>>10)
}
