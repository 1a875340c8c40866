package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/rrun-project/rrun/plugins/api"
	"github.com/rrun-project/rrun/plugins/testsuite"
	"github.com/rrun-project/rrun/plugins/testsuite/fixtures"
)

// envServe makes the test binary serve the plugin, so the suite can run
// over go-plugin where no Go toolchain is installed.
const envServe = "RRUN_EXAMPLE_TEST_SERVE"

func TestMain(m *testing.M) {
	if os.Getenv(envServe) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// TestConformance runs the storage suite against the plugin as a separate
// process: the binary `go build` makes when a toolchain is around, and
// the test binary serving main() always.
func TestConformance(t *testing.T) {
	rootfs := t.TempDir()
	if err := fixtures.BusyboxRootfs(rootfs); err != nil {
		t.Fatal(err)
	}
	fx := testsuite.NewStorageFixtures(t)
	fx.Image = fullName
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Run("built", func(t *testing.T) {
		bin := buildPlugin(t)
		testsuite.TestStorage(t, launcher(bin, rootfs, nil), fx)
	})
	t.Run("self", func(t *testing.T) {
		testsuite.TestStorage(t, launcher(self, rootfs, []string{envServe + "=1"}), fx)
	})
}

// buildPlugin builds rrun-storage-rootfsdir like a plugin author would.
func buildPlugin(t *testing.T) string {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go toolchain in PATH: covered by the self-served run")
	}
	bin := filepath.Join(t.TempDir(), "rrun-storage-rootfsdir")
	cmd := exec.Command(goBin, "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("go build failed here (%v): %s", err, out)
	}
	return bin
}

// launcher starts the plugin with go-plugin as rrun's host does, and
// configures it with the rootfs option.
func launcher(bin, rootfs string, env []string) func(t *testing.T) api.Storage {
	return func(t *testing.T) api.Storage {
		cmd := exec.Command(bin)
		cmd.Env = append(os.Environ(), env...)
		c := plugin.NewClient(&plugin.ClientConfig{
			HandshakeConfig:  api.Handshake,
			VersionedPlugins: api.PluginSets(),
			Cmd:              cmd,
			AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
			Logger:           hclog.New(&hclog.LoggerOptions{Level: hclog.Warn, Output: os.Stderr}),
		})
		t.Cleanup(c.Kill)
		rpc, err := c.Client()
		if err != nil {
			t.Fatalf("start plugin %s: %v", bin, err)
		}
		raw, err := rpc.Dispense(api.KindStorage)
		if err != nil {
			t.Fatalf("dispense storage from %s: %v", bin, err)
		}
		b := raw.(api.Storage)
		testsuite.ConfigureStorage(t, b, map[string]string{"rootfs": rootfs}, nil)
		return b
	}
}
