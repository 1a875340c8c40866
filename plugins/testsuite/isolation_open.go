package testsuite

import (
	"context"
	"os/exec"
	"testing"
	"time"

	"github.com/rrun-project/rrun/plugins/api"
)

// IsolationOpener opens an instance of the backend under test, configured
// (see ConfigureIsolationDir) with runDir as its RunDir. It returns the
// instance and a function that ends it as a crash would: it kills the
// plugin process, or abandons an in-process instance. An instance opened
// later on the same runDir must be able to State, Kill, Exec and Delete
// the containers an ended one made, which keep running: that is how rrun
// survives a plugin crash.
type IsolationOpener func(t *testing.T, runDir string) (b api.Isolation, crash func())

// InProcessIsolation opens instances that newBackend makes in the test
// process. Crashing one abandons it.
func InProcessIsolation(newBackend func() api.Isolation) IsolationOpener {
	return func(t *testing.T, runDir string) (api.Isolation, func()) {
		b := newBackend()
		ConfigureIsolationDir(t, b, runDir)
		return b, func() {}
	}
}

// PluginIsolation opens instances served by the go-plugin command that
// newCmd returns. Crashing one kills its process with SIGKILL.
func PluginIsolation(newCmd func() *exec.Cmd) IsolationOpener {
	return func(t *testing.T, runDir string) (api.Isolation, func()) {
		cmd := newCmd()
		b := DialIsolation(t, cmd)
		ConfigureIsolationDir(t, b, runDir)
		return b, func() {
			if cmd.Process != nil {
				cmd.Process.Kill()
			}
		}
	}
}

// ConfigureIsolation calls Configure on b with a fresh RunDir and StateDir,
// and option log_level=debug under go test -v (else warn).
func ConfigureIsolation(t *testing.T, b api.Isolation) {
	t.Helper()
	ConfigureIsolationDir(t, b, t.TempDir())
}

// ConfigureIsolationDir is ConfigureIsolation with the given RunDir.
func ConfigureIsolationDir(t *testing.T, b api.Isolation, runDir string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg := api.Config{APIVersion: api.APIVersion, RunDir: runDir, StateDir: t.TempDir(),
		Options: map[string]string{"log_level": testLogLevel().String()}}
	if err := b.Configure(ctx, cfg); err != nil {
		t.Fatalf("Configure: %v", err)
	}
}
