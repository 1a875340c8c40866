package oci_test

import (
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/rrun-project/rrun/plugins/api"
	"github.com/rrun-project/rrun/plugins/api/reaper"
	"github.com/rrun-project/rrun/plugins/isolation/oci"
	"github.com/rrun-project/rrun/plugins/testsuite"
)

// TestMain lets the test binary serve the backend as a plugin
// (`__plugin isolation oci RUNTIME`), then enters a user namespace, as
// rrun's session would.
func TestMain(m *testing.M) {
	if len(os.Args) == 5 && os.Args[1] == "__plugin" {
		oci.ServeMain(oci.NewWithRuntime(os.Args[4]))
		os.Exit(0)
	}
	if code, done := testsuite.ReexecInSession(); done {
		os.Exit(code)
	}
	// The test process plays rrun's monitor too: the subreaper that reaps
	// the containers of a plugin process the Survival case kills.
	if _, err := reaper.Get(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// runtimes are the OCI runtimes the suite runs against; both must be
// installed (test/setup-host.sh does).
var runtimes = []string{"crun", "runc"}

func requireRuntime(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s is not installed (apt-get install %s; test/setup-host.sh installs it): %v", name, name, err)
	}
}

func TestIsolationInProcess(t *testing.T) {
	testsuite.RequireUserNS(t)
	for _, rt := range runtimes {
		t.Run(rt, func(t *testing.T) {
			requireRuntime(t, rt)
			testsuite.TestIsolation(t, testsuite.InProcessIsolation(func() api.Isolation {
				return oci.NewWithRuntime(rt)
			}), testsuite.IsolationRootfs)
		})
	}
}

func TestIsolationOverPlugin(t *testing.T) {
	testsuite.RequireUserNS(t)
	for _, rt := range runtimes {
		t.Run(rt, func(t *testing.T) {
			requireRuntime(t, rt)
			testsuite.TestIsolation(t, testsuite.PluginIsolation(func() *exec.Cmd {
				return exec.Command("/proc/self/exe", "__plugin", "isolation", "oci", rt)
			}), testsuite.IsolationRootfs)
		})
	}
}

// TestIsolationRrunBinary runs the suite against a built rrun's own
// `rrun __plugin isolation oci` (default runtime), when RRUN_BINARY names
// one (make test does).
func TestIsolationRrunBinary(t *testing.T) {
	bin := os.Getenv("RRUN_BINARY")
	if bin == "" {
		t.Skip("set RRUN_BINARY to a built rrun to run the suite against its built-in plugin")
	}
	testsuite.RequireUserNS(t)
	testsuite.TestIsolation(t, testsuite.PluginIsolation(func() *exec.Cmd {
		return exec.Command(bin, "__plugin", "isolation", "oci")
	}), testsuite.IsolationRootfs)
}
