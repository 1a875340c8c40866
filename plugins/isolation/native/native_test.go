package native_test

import (
	"context"
	"maps"
	"os"
	"os/exec"
	"testing"

	"github.com/rrun-project/rrun/plugins/api"
	"github.com/rrun-project/rrun/plugins/isolation/native"
	"github.com/rrun-project/rrun/plugins/isolation/native/nsinit"
	"github.com/rrun-project/rrun/plugins/testsuite"
)

// TestMain lets the test binary play rrun's roles: rrun-nsinit (unless
// RRUN_NSINIT names a built one, e.g. bin/rrun-nsinit), and the plugin of
// the RPC test. Then it enters a user namespace, as rrun's session would.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case nsinit.InitArg:
			nsinit.Main()
		case "__plugin":
			api.ServeIsolation(native.New())
			os.Exit(0)
		}
	}
	if code, done := testsuite.ReexecInSession(); done {
		os.Exit(code)
	}
	givenNsinit = os.Getenv(native.NsinitEnv)
	if givenNsinit == "" {
		os.Setenv(native.NsinitEnv, "/proc/self/exe")
	}
	os.Exit(m.Run())
}

func TestIsolationInProcess(t *testing.T) {
	testsuite.RequireUserNS(t)
	testsuite.TestIsolation(t, testsuite.InProcessIsolation(func() api.Isolation {
		return native.New()
	}), testsuite.IsolationRootfs)
}

// TestIsolationGoInit runs the suite with every container set up by the
// Go init (option c_init=false), which stays for what the C init leaves
// to it.
func TestIsolationGoInit(t *testing.T) {
	testsuite.RequireUserNS(t)
	testsuite.TestIsolation(t, testsuite.InProcessIsolation(func() api.Isolation {
		return goInit{native.New()}
	}), testsuite.IsolationRootfs)
}

// goInit configures its backend with c_init=false.
type goInit struct{ *native.Backend }

func (g goInit) Configure(ctx context.Context, cfg api.Config) error {
	cfg.Options = maps.Clone(cfg.Options)
	if cfg.Options == nil {
		cfg.Options = map[string]string{}
	}
	cfg.Options["c_init"] = "false"
	return g.Backend.Configure(ctx, cfg)
}

func TestIsolationOverPlugin(t *testing.T) {
	testsuite.RequireUserNS(t)
	testsuite.TestIsolation(t, testsuite.PluginIsolation(func() *exec.Cmd {
		return exec.Command("/proc/self/exe", "__plugin", "isolation", "native")
	}), testsuite.IsolationRootfs)
}

// TestIsolationRrunBinary runs the suite against a built rrun's own
// `rrun __plugin isolation native`, when RRUN_BINARY names one.
func TestIsolationRrunBinary(t *testing.T) {
	bin := os.Getenv("RRUN_BINARY")
	if bin == "" {
		t.Skip("set RRUN_BINARY to a built rrun to run the suite against its built-in plugin")
	}
	testsuite.RequireUserNS(t)
	// Its own rrun-nsinit, next to it, unless the caller named one: the
	// plugin inherits this process's environment (go-plugin adds it).
	saved := os.Getenv(native.NsinitEnv)
	os.Setenv(native.NsinitEnv, givenNsinit)
	t.Cleanup(func() { os.Setenv(native.NsinitEnv, saved) }) // after the parallel subtests
	testsuite.TestIsolation(t, testsuite.PluginIsolation(func() *exec.Cmd {
		return exec.Command(bin, "__plugin", "isolation", "native")
	}), testsuite.IsolationRootfs)
}

// givenNsinit is RRUN_NSINIT as the test binary was started with.
var givenNsinit string
