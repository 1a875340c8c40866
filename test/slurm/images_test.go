package slurm

import (
	"io"
	"log"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
)

// An image neither node has is pulled from the (loopback) registry on its
// first use, once by each node, and the step runs in it.
func TestSlurmPullsOnFirstUsePerNode(t *testing.T) {
	requireCluster(t)
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	ref := strings.TrimPrefix(srv.URL, "http://") + "/slurm/busybox:first-use"
	pushBusybox(t, ref)
	for _, n := range []string{"n1", "n2"} {
		if r := rrunOn(t, n, "image", "inspect", ref); r.code == 0 {
			t.Fatalf("%s already has %s", n, ref)
		}
	}
	r := ok(t, "srun", "-N2", "-n4", "--container-image="+ref, "sh", "-c", `echo "$FOO"`)
	if strings.Count(r.stdout, "from-image") != 4 {
		t.Errorf("tasks printed %q, want the image's FOO 4 times", r.stdout)
	}
	for _, n := range []string{"n1", "n2"} {
		if r := rrunOn(t, n, "image", "inspect", ref); r.code != 0 {
			t.Errorf("%s did not keep the pulled image: %s", n, r.stderr)
		}
		t.Cleanup(func() { rrunOn(t, n, "rmi", ref) })
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
