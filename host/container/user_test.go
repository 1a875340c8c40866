package container

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/rrun-project/rrun/plugins/api"
)

func TestResolveUser(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	os.WriteFile(filepath.Join(root, "etc/passwd"), []byte("root:x:0:0::/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n"), 0o644)
	os.WriteFile(filepath.Join(root, "etc/group"), []byte("root:x:0:\nstaff:x:50:\n"), 0o644)
	mounts := []api.Mount{{Type: "bind", Source: root, Target: "/"}}
	cases := map[string][2]uint32{"": {0, 0}, "app": {1000, 1001}, "app:staff": {1000, 50}, "7:8": {7, 8}, "7": {7, 0}}
	for in, want := range cases {
		u, err := resolveUser(in, mounts)
		if err != nil || u.UID != want[0] || u.GID != want[1] {
			t.Fatalf("%q: got %+v %v, want %v", in, u, err, want)
		}
	}
	if _, err := resolveUser("ghost", mounts); !errors.Is(err, api.ErrInvalidArgument) {
		t.Fatalf("unknown user: want ErrInvalidArgument, got %v", err)
	}
	if _, err := resolveUser("app", nil); !errors.Is(err, api.ErrInvalidArgument) {
		t.Fatalf("no readable rootfs: want ErrInvalidArgument, got %v", err)
	}
}
