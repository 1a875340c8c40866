package e2e

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// podman runs podman in e's home (its own store), or skips the comparison
// where podman is not installed (test/setup-host.sh installs it).
func (e *env) podman(args ...string) string {
	e.t.Helper()
	if _, err := exec.LookPath("podman"); err != nil {
		e.t.Skip("podman is not installed: nothing to compare with")
	}
	e.t.Cleanup(func() { killPodmanPause(filepath.Join(e.home, "run")) })
	cmd := exec.Command("podman", append([]string{"--storage-driver", "vfs"}, args...)...)
	cmd.Env = e.vars
	out, err := cmd.Output()
	if err != nil {
		e.t.Fatalf("podman %v: %v", args, err)
	}
	return string(out)
}

// The table directive heads the columns as podman (and docker) do.
func TestCLIFormatHeadersMatchPodman(t *testing.T) {
	e := newEnv(t)
	e.ok("volume", "create", "v1")
	e.podman("volume", "create", "v1")
	for _, c := range [][]string{
		{"ps", "--format", `table {{.ID}}\t{{.Names}}\t{{.Ports}}\t{{.Status}}\t{{.Image}}`},
		{"images", "--format", `table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.Size}}`},
		{"volume", "ls"},
	} {
		ours := strings.SplitN(e.ok(c...).stdout, "\n", 2)[0]
		theirs := strings.SplitN(e.podman(c...), "\n", 2)[0]
		if fields(ours) != fields(theirs) {
			t.Errorf("%v: rrun heads %q, podman %q", c, fields(ours), fields(theirs))
		}
	}
}
