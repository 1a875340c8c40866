package storage

import (
	"slices"
	"testing"
)

// Read-only image stores reach c/storage as the driver's imagestore options.
func TestDriverConfigAdditionalImageStores(t *testing.T) {
	for _, driver := range []string{DriverOverlay, DriverVFS, DriverFuseOverlayfs} {
		name, opts, err := driverConfig(Options{Driver: driver, AdditionalImageStores: []string{"/shared/a", "/shared/b"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{name + ".imagestore=/shared/a", name + ".imagestore=/shared/b"} {
			if !slices.Contains(opts, want) {
				t.Errorf("%s: options %q lack %q", driver, opts, want)
			}
		}
	}
}
