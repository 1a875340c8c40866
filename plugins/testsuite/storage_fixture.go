package testsuite

import (
	"testing"

	"github.com/rrun-project/rrun/plugins/testsuite/fixtures"
)

// NewStorageFixtures builds the busybox archives and the broken ones in a
// temporary directory of t.
func NewStorageFixtures(t *testing.T) StorageFixtures {
	t.Helper()
	dir := t.TempDir()
	bb, err := fixtures.Busybox(dir)
	if err != nil {
		t.Fatalf("build busybox fixtures: %v", err)
	}
	bad, err := fixtures.MalformedArchives(dir, bb.DockerArchive)
	if err != nil {
		t.Fatalf("build malformed archives: %v", err)
	}
	return StorageFixtures{
		DockerArchive: bb.DockerArchive,
		DockerName:    fixtures.BusyboxName,
		OCIArchive:    bb.OCIArchive,
		OCIName:       bb.OCIName,
		Malformed:     bad,
	}
}
