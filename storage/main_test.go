package storage_test

import (
	"os"
	"testing"

	"go.podman.io/storage/pkg/reexec"

	"github.com/rrun-project/rrun/plugins/testsuite/fixtures"
)

func TestMain(m *testing.M) {
	if reexec.Init() {
		return
	}
	os.Exit(fixtures.RunInUserNS(m))
}
