package cstorage

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rrun-project/rrun/storage"
)

// Before the first keep-id run, rrun info predicts the mechanism in
// PrepareMappedRootfs's order; after it, it says the one used.
func TestKeepIDOwners(t *testing.T) {
	dir := t.TempDir()
	overlay := storage.IDMapMounts
	if storage.FuseUsable() {
		overlay = storage.IDMapFuse
	}
	for _, c := range []struct {
		driver string
		opts   map[string]string
		want   string
	}{
		{storage.DriverOverlay, nil, overlay},
		{storage.DriverOverlay, map[string]string{"idmap": "copy"}, storage.IDMapCopies},
		{storage.DriverFuseOverlayfs, nil, storage.IDMapFuse},
		{storage.DriverVFS, nil, storage.IDMapCopies},
	} {
		if got := KeepIDOwners(dir, c.driver, c.opts); !strings.HasPrefix(got, c.want) {
			t.Errorf("%s %v before the first run: %q, want %q...", c.driver, c.opts, got, c.want)
		}
	}
	os.WriteFile(filepath.Join(dir, "idmap-mechanism"), []byte(storage.IDMapCopies+"\n"), 0o644)
	if got := KeepIDOwners(dir, storage.DriverOverlay, nil); got != storage.IDMapCopies {
		t.Errorf("after a run: %q, want the mechanism used", got)
	}
}
