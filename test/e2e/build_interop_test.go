package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestBuildSaveLoadsIntoPodman: an image rrun built, saved with rrun
// save, loads into podman and runs there; a file a RUN deleted stays
// deleted and a setuid bit stays set.
func TestBuildSaveLoadsIntoPodman(t *testing.T) {
	if _, err := exec.LookPath("podman"); err != nil {
		t.Fatalf("podman is needed for the interop test (apt-get install podman): %v", err)
	}
	e := withBusybox(t)
	ctx := buildContext(t, e, map[string]string{"Dockerfile": `FROM busybox
RUN echo x > /gone && cp /bin/busybox /suid && chmod 4755 /suid
RUN rm /gone
CMD ["sh", "-c", "test -e /gone && echo present || echo absent; stat -c %a /suid"]
`})
	buildOK(t, e, "-t", "example.com/interop:1", ctx)
	archive := filepath.Join(e.home, "interop.tar")
	e.ok("save", "-o", archive, "example.com/interop:1")
	out := podman(t, e, "load", "-i", archive)
	if !strings.Contains(out, "example.com/interop:1") {
		t.Fatalf("podman load: %s", out)
	}
	if out := podman(t, e, "run", "--rm", "--network", "none", "example.com/interop:1"); out != "absent\n4755\n" {
		t.Errorf("podman run of the built image printed %q, want absent and 4755", out)
	}
}

// podman runs podman with a store of its own in the test's home.
func podman(t *testing.T, e *env, args ...string) string {
	t.Helper()
	home := filepath.Join(e.home, "podman")
	run := filepath.Join(home, "run")
	if err := os.MkdirAll(run, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { killPodmanPause(run) })
	cmd := exec.Command("podman", append([]string{"--cgroup-manager=cgroupfs", "--events-backend=file"}, args...)...)
	cmd.Env = []string{"HOME=" + home, "XDG_RUNTIME_DIR=" + run, "PATH=" + os.Getenv("PATH")}
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("podman %v: %v\n%s%s", args, err, out, stderr)
	}
	return string(out)
}

// killPodmanPause stops the pause process rootless podman leaves behind
// (it holds podman's user namespace), so that no process outlives the test.
func killPodmanPause(run string) {
	b, err := os.ReadFile(filepath.Join(run, "libpod", "tmp", "pause.pid"))
	if err != nil {
		return
	}
	if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}
