package e2e

import (
	"archive/tar"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// buildContext writes files (path -> content) into a new context directory.
func buildContext(t *testing.T, e *env, files map[string]string) string {
	t.Helper()
	dir, err := os.MkdirTemp(e.home, "ctx-")
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// imageConfig is what tests read of `rrun image inspect`.
type imageConfig struct {
	ID     string `json:"Id"`
	Config struct {
		Env, Cmd, Entrypoint, Volumes, Healthcheck any
		WorkingDir, User, StopSignal               string
		Labels                                     map[string]string
		ExposedPorts                               map[string]any
	}
	RootFS struct{ Layers []string }
}

func inspectImage(t *testing.T, e *env, ref string) imageConfig {
	t.Helper()
	var out []imageConfig
	r := e.ok("image", "inspect", ref)
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || len(out) != 1 {
		t.Fatalf("image inspect %s: %v\n%s", ref, err, r)
	}
	return out[0]
}

// buildOK runs rrun build with args and fails unless it exits 0.
func buildOK(t *testing.T, e *env, args ...string) result {
	t.Helper()
	r := e.run("", append([]string{"build", "--network", "none"}, args...)...)
	if r.code != 0 {
		t.Fatalf("rrun build %s: %s", strings.Join(args, " "), r)
	}
	return r
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeTar writes a tar archive of files (path -> content).
func writeTar(t *testing.T, path string, files map[string]string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(f)
	for name, content := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}
