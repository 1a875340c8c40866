package storage

import (
	"testing"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

// A recycled rootfs is mounted again with what the kernel shows of its
// overlay; anything it could not mount the same way goes through
// c/storage instead.
func TestOverlayRemountFromMountinfo(t *testing.T) {
	m := &mountinfo.Info{
		FSType:     "overlay",
		Options:    "rw,nodev,relatime",
		VFSOptions: "rw,lowerdir=/s/overlay/a/diff,upperdir=/s/overlay/b/diff,workdir=/s/overlay/b/work,redirect_dir=nofollow,uuid=on,fsync=volatile,userxattr",
	}
	flags, data, ok := overlayRemount(m)
	if !ok {
		t.Fatal("a kernel overlay mount was refused")
	}
	if flags != unix.MS_NODEV|unix.MS_RELATIME {
		t.Errorf("flags %#x, want nodev|relatime", flags)
	}
	want := "lowerdir=/s/overlay/a/diff,upperdir=/s/overlay/b/diff,workdir=/s/overlay/b/work,redirect_dir=nofollow,uuid=on,fsync=volatile,userxattr"
	if data != want {
		t.Errorf("data %q, want %q", data, want)
	}
	for name, bad := range map[string]*mountinfo.Info{
		"fuse-overlayfs":    {FSType: "fuse.fuse-overlayfs", Options: "rw", VFSOptions: "rw,user_id=0"},
		"an escaped comma":  {FSType: "overlay", Options: "rw", VFSOptions: `rw,lowerdir=/a\054b,upperdir=/u,workdir=/w`},
		"an unknown flag":   {FSType: "overlay", Options: "rw,idmapped", VFSOptions: "rw,lowerdir=/l,upperdir=/u,workdir=/w"},
		"no options at all": {FSType: "overlay", Options: "rw", VFSOptions: "rw"},
	} {
		if _, _, ok := overlayRemount(bad); ok {
			t.Errorf("%s: mounted again by hand, want c/storage's way", name)
		}
	}
}
