package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestBuildKilledLeavesNothingAfterPrune: a build killed with SIGKILL in
// the middle of a RUN leaves no image; the next command (here `ps`)
// removes its build container, build root filesystem and temporary files,
// and the next prune the layers of its cache.
func TestBuildKilledLeavesNothingAfterPrune(t *testing.T) {
	e := withBusybox(t)
	before := layersLine(t, e)
	ctx := buildContext(t, e, map[string]string{"Dockerfile": "FROM busybox\nRUN echo one > /one\nRUN echo started; sleep 60\n"})
	cmd := exec.Command(rrunBin, "build", "--network", "none", "-t", "killed", ctx)
	cmd.Env = e.vars
	out := &syncBuffer{}
	cmd.Stderr = out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(out.String(), "started") && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // the whole build: CLI, session, plugins
	_ = cmd.Wait()
	if recs, _ := filepath.Glob(filepath.Join(e.home, "run/rrun/builds/*/rootfs/*")); len(recs) == 0 {
		t.Fatal("the killed build holds no build root filesystem: the test did not kill it mid-RUN")
	}
	e.ok("ps", "-a")
	if n := e.buildRootfsLayers(); n != 0 {
		t.Errorf("the command after a killed build left %d build root filesystems", n)
	}
	if got := e.storeContainers(); got != "[]" {
		t.Errorf("the command after a killed build left storage containers: %s", got)
	}
	if left := e.leftovers(); len(left) > 0 {
		t.Errorf("the command after a killed build left its state: %v", left)
	}
	if imgs := e.ok("images", "-q"); len(strings.Fields(imgs.stdout)) != 1 {
		t.Errorf("a killed build left an image: %s", imgs.stdout)
	}
	e.ok("builder", "prune", "-f")
	if after := layersLine(t, e); after != before {
		t.Errorf("prune after a killed build left layers: before %q, after %q", before, after)
	}
}

// leftovers are the build state dirs and isolation state dirs under the
// run dir (none once every build and container is gone).
func (e *env) leftovers() []string {
	var left []string
	for _, pat := range []string{"run/rrun/builds/*", "run/rrun/isolation/*/*", "run/rrun/build-*"} {
		m, _ := filepath.Glob(filepath.Join(e.home, pat)) // the patterns are valid
		for _, p := range m {
			if !strings.HasPrefix(filepath.Base(p), ".") { // caches, not state
				left = append(left, p)
			}
		}
	}
	return left
}

// buildRootfsLayers counts the storage plugin's build root filesystems
// (writable layers named rrun-build-rootfs:ID, overlay).
func (e *env) buildRootfsLayers() int {
	p := filepath.Join(e.home, "data", "rrun", "storage", "overlay", "overlay-layers", "layers.json")
	if _, err := os.Stat(p); err != nil {
		return 0
	}
	return strings.Count(e.ok("unshare", "cat", p).stdout, "rrun-build-rootfs:")
}

// layersLine is the Layers line of `rrun system df`.
func layersLine(t *testing.T, e *env) string {
	t.Helper()
	for _, l := range strings.Split(e.ok("system", "df").stdout, "\n") {
		if strings.HasPrefix(l, "Layers") {
			return strings.Join(strings.Fields(l), " ")
		}
	}
	t.Fatal("system df has no Layers line")
	return ""
}

// syncBuffer is a bytes.Buffer a command writes while the test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
