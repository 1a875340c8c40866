package e2e

import (
	"bytes"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestBuildKilledLeavesNothingAfterPrune: a build killed with SIGKILL in
// the middle of a RUN leaves no image, and the next prune reclaims its
// layers and build root filesystem.
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
	if imgs := e.ok("images", "-q"); len(strings.Fields(imgs.stdout)) != 1 {
		t.Errorf("a killed build left an image: %s", imgs.stdout)
	}
	e.ok("builder", "prune", "-f")
	if after := layersLine(t, e); after != before {
		t.Errorf("prune after a killed build left layers: before %q, after %q", before, after)
	}
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
