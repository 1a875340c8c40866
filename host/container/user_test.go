package container

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rrun-project/rrun/plugins/api"
)

func TestResolveUser(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	os.WriteFile(filepath.Join(root, "etc/passwd"), []byte("root:x:0:0::/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n"), 0o644)
	os.WriteFile(filepath.Join(root, "etc/group"), []byte("root:x:0:\n# comment\nstaff:x:50:app\nwheel:x:10:root,app\nappg:x:1001:\n"), 0o644)
	mounts := []api.Mount{{Type: "bind", Source: root, Target: "/"}}
	cases := map[string]specs.User{
		"":          {UID: 0, GID: 0, AdditionalGids: []uint32{0}},
		"root":      {UID: 0, GID: 0, AdditionalGids: []uint32{0, 10}},
		"app":       {UID: 1000, GID: 1001, AdditionalGids: []uint32{1001, 50, 10}},
		"1000":      {UID: 1000, GID: 1001, AdditionalGids: []uint32{1001, 50, 10}}, // a uid with an entry is that user
		"app:staff": {UID: 1000, GID: 50, AdditionalGids: []uint32{50}},             // an explicit group: no supplementary ones
		"7:8":       {UID: 7, GID: 8, AdditionalGids: []uint32{8}},
		"7":         {UID: 7, GID: 0, AdditionalGids: []uint32{0}},
	}
	for in, want := range cases {
		u, err := resolveUser(in, mounts)
		if err != nil || !reflect.DeepEqual(u, want) {
			t.Errorf("%q: got %+v %v, want %+v", in, u, err, want)
		}
	}
	for _, bad := range []string{"ghost", "app:ghosts"} {
		if _, err := resolveUser(bad, mounts); !errors.Is(err, api.ErrInvalidArgument) {
			t.Errorf("%q: want ErrInvalidArgument, got %v", bad, err)
		}
	}
	if _, err := resolveUser("app", nil); !errors.Is(err, api.ErrInvalidArgument) {
		t.Fatalf("no readable rootfs: want ErrInvalidArgument, got %v", err)
	}
	if u, err := resolveUser("5:6", nil); err != nil || u.UID != 5 || u.GID != 6 {
		t.Fatalf("numeric ids need no rootfs: %+v %v", u, err)
	}
}
