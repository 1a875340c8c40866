package cstorage_test

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"go.podman.io/storage/pkg/reexec"

	"github.com/rrun-project/rrun/plugins/api"
	"github.com/rrun-project/rrun/plugins/testsuite/fixtures"
)

func TestMain(m *testing.M) {
	if reexec.Init() {
		return
	}
	os.Exit(fixtures.RunInUserNS(m))
}

// drivers are the backends under test; fuse-overlayfs needs /dev/fuse.
func drivers(t *testing.T) []string {
	ds := []string{"vfs", "overlay"}
	if f, err := os.OpenFile("/dev/fuse", os.O_RDWR, 0); err == nil {
		f.Close()
		ds = append(ds, "fuse-overlayfs")
	} else {
		t.Logf("fuse-overlayfs not tested: %v", err)
	}
	return ds
}

// sessionUIDMap reads this process's uid map, as the session hands it to
// plugins.
func sessionUIDMap(t *testing.T) []api.IDMap {
	b, err := os.ReadFile("/proc/self/uid_map")
	if err != nil {
		t.Fatal(err)
	}
	var m []api.IDMap
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		c, _ := strconv.ParseUint(f[0], 10, 32)
		h, _ := strconv.ParseUint(f[1], 10, 32)
		n, _ := strconv.ParseUint(f[2], 10, 32)
		m = append(m, api.IDMap{ContainerID: uint32(c), HostID: uint32(h), Size: uint32(n)})
	}
	return m
}
