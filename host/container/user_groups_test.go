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

func TestAddGroups(t *testing.T) {
	if singleIDSession() {
		t.Skip("a single-id user namespace: --group-add of other gids is refused (TestGroupAddNoSubuid)")
	}
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	os.WriteFile(filepath.Join(root, "etc/group"), []byte("root:x:0:\nwheel:x:10:\nstaff:x:50:\n"), 0o644)
	mounts := []api.Mount{{Type: "bind", Source: root, Target: "/"}}
	u := specs.User{UID: 1000, GID: 1000, AdditionalGids: []uint32{1000, 10}}
	got, err := addGroups(u, []string{"staff", "10", "7"}, mounts)
	want := []uint32{1000, 10, 50, 7}
	if err != nil || !reflect.DeepEqual(got.AdditionalGids, want) || got.GID != 1000 {
		t.Fatalf("--group-add staff 10 7: %+v %v, want supplementary %v", got, err, want)
	}
	if _, err := addGroups(u, []string{"ghosts"}, mounts); !errors.Is(err, api.ErrInvalidArgument) {
		t.Fatalf("an unknown group: want ErrInvalidArgument, got %v", err)
	}
	if err := groupAddSingleIDError("10", 10, 0); !errors.Is(err, api.ErrFailedPrecondition) {
		t.Fatalf("single-id refusal: %v", err)
	}
}
