package e2e

import (
	"strings"
	"testing"
)

// load prints "Loaded image:" for the names the archive carries, not for
// the other names the image has in the store.
func TestCLILoadPrintsOnlyTheArchivesNames(t *testing.T) {
	e := withBusybox(t)
	e.ok("tag", "busybox", "other:1")
	r := e.ok("load", "-q", "-i", busyboxDocker)
	if strings.TrimSpace(r.stdout) != "Loaded image: docker.io/library/busybox:latest" {
		t.Fatalf("load must name only the archive's images: %s", r)
	}
}
