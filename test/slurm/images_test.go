package slurm

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
)

// An image neither node has is pulled from the (loopback) registry on its
// first use, once by each node, even by two steps that start at once, and
// the steps run in it.
func TestSlurmPullsOnFirstUsePerNode(t *testing.T) {
	requireCluster(t)
	var manifestGets atomic.Int32
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/manifests/") {
			manifestGets.Add(1)
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	ref := strings.TrimPrefix(srv.URL, "http://") + "/slurm/busybox:first-use"
	pushBusybox(t, ref)
	for _, n := range []string{"n1", "n2"} {
		if r := rrunOn(t, n, "image", "inspect", ref); r.code == 0 {
			t.Fatalf("%s already has %s", n, ref)
		}
		t.Cleanup(func() { rrunOn(t, n, "rmi", ref) })
	}
	manifestGets.Store(0)
	dir := shared(t)
	out := filepath.Join(dir, "out")
	step := `srun --overlap -N2 -n2 --container-image=` + ref + ` sh -c 'echo "$FOO"'`
	ok(t, "sbatch", "--wait", "-N2", "-n4", "-o", out, "--wrap", step+" & "+step+" & wait")
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(string(data), "from-image") != 4 {
		t.Errorf("job output %q, want the image's FOO from 4 tasks of 2 steps", data)
	}
	for _, n := range []string{"n1", "n2"} {
		if r := rrunOn(t, n, "image", "inspect", ref); r.code != 0 {
			t.Errorf("%s did not keep the pulled image: %s", n, r.stderr)
		}
	}
	// One manifest download per pull, one pull per node.
	if got := manifestGets.Load(); got != 2 {
		t.Errorf("%d manifest downloads, want 2 (one pull per node, shared by the two steps)", got)
	}
}

// pushBusybox pushes the busybox fixture as ref from a scratch store.
func pushBusybox(t *testing.T, ref string) {
	t.Helper()
	scratch := "scratch-" + filepath.Base(t.TempDir())
	t.Cleanup(func() { rrunOn(t, scratch, "unshare", "rm", "-rf", nodeDir(scratch)) })
	for _, args := range [][]string{{"load", "-q", "-i", busyboxTar}, {"tag", "busybox", ref}, {"push", "-q", "--tls-verify=false", ref}} {
		if r := rrunOn(t, scratch, args...); r.code != 0 {
			t.Fatalf("rrun %v: %s", args, r.stderr)
		}
	}
}

// A read-only image store on a shared filesystem (additionalimagestores in
// [storage.options]) serves both nodes without a copy: the step runs the
// image, neither node's own store gets it, and rrun info names the store.
func TestSlurmSharedReadOnlyStore(t *testing.T) {
	requireCluster(t)
	shared := "shared-" + filepath.Base(t.TempDir())
	t.Cleanup(func() { rrunOn(t, shared, "unshare", "rm", "-rf", nodeDir(shared)) })
	ref := "example.com/shared/marker:" + shared
	for _, args := range [][]string{{"load", "-q", "-i", busyboxTar},
		{"run", "--name", "mk", "busybox", "sh", "-c", "echo from-shared-store > /marker"}, {"commit", "mk", ref}, {"rm", "mk"}} {
		if r := rrunOn(t, shared, args...); r.code != 0 {
			t.Fatalf("rrun %v: %s", args, r.stderr)
		}
	}
	cfg := t.TempDir()
	store := filepath.Join(nodeDir(shared), "data", "rrun", "storage", "overlay")
	conf := "[storage]\ndriver = \"overlay\"\n[storage.options]\nadditionalimagestores = \"" + store + "\"\n"
	if err := os.MkdirAll(filepath.Join(cfg, "rrun"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfg, "rrun", "config.toml"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XDG_CONFIG_HOME", cfg)
	r := ok(t, "srun", "-N2", "-n2", "--container-image="+ref, "cat", "/marker")
	if strings.Count(r.stdout, "from-shared-store") != 2 {
		t.Errorf("tasks printed %q, want the shared image's file twice", r.stdout)
	}
	if info := rrunOn(t, "n1", "info"); !strings.Contains(info.stdout, "Read-only image stores:") || !strings.Contains(info.stdout, store) {
		t.Errorf("rrun info does not show the shared store:\n%s", info.stdout)
	}
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(cfg, "none"))
	for _, n := range []string{"n1", "n2"} {
		if r := rrunOn(t, n, "image", "inspect", ref); r.code == 0 {
			t.Errorf("%s copied the image into its own store", n)
		}
	}
}
