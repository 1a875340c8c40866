package native_test

import (
	"os/exec"
	"testing"

	"github.com/rrun-project/rrun/plugins/testsuite"
)

// One native plugin process serves several clients at once, as a warm
// plugin serves several rrun commands.
func TestIsolationSharedClients(t *testing.T) {
	testsuite.RequireUserNS(t)
	testsuite.TestIsolationSharedClients(t, func() *exec.Cmd {
		return exec.Command("/proc/self/exe", "__plugin", "isolation", "native")
	}, testsuite.IsolationRootfs)
}
