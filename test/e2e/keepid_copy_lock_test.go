package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rrun-project/rrun/plugins/testsuite/fixtures"
)

// A mapped copy in progress holds no lock of the store: while the copier is
// paused in the middle of a layer (a test hook), a plain run on the same
// store completes; released, the copier finishes and the next keep-id run
// uses its copies.
func TestKeepIDCopyDoesNotBlockRuns(t *testing.T) {
	e := keepIDCopiesEnv(t)
	ws := t.TempDir()
	release := pauseCopies(t, e)
	checkKeepIDRun(t, e, ws)
	waitCopyPaused(t, e, release)
	okUnblocked(t, e, "run", "--rm", fixtures.DebianName, "sh", "-c", "test -x /bin/su")
	okUnblocked(t, e, "run", "--rm", "--userns=keep-id", fixtures.DebianName, "true")
	if err := os.Remove(release); err != nil {
		t.Fatal(err)
	}
	waitCopies(t, e, copiesReady1)
	checkKeepIDRun(t, e, ws)
	if m := keepIDOwnersInfo(t, e); !strings.HasPrefix(m, mechCopies) {
		t.Fatalf("a keep-id run after the copies were made did not use them: %q", m)
	}
}

// An rmi in the middle of a copy does not wait for it and does not break
// the store: the copier fails, drops its partial work and the request, and
// the image loaded again runs with its owners.
func TestKeepIDCopyImageRemoved(t *testing.T) {
	e := keepIDCopiesEnv(t)
	ws := t.TempDir()
	release := pauseCopies(t, e)
	checkKeepIDRun(t, e, ws)
	waitCopyPaused(t, e, release)
	okUnblocked(t, e, "rmi", fixtures.DebianName)
	if err := os.Remove(release); err != nil {
		t.Fatal(err)
	}
	checkNoCopiesLeft(t, e)
	archive, err := fixtures.DebianArchive()
	if err != nil {
		t.Fatal(err)
	}
	e.ok("load", "-q", "-i", archive)
	checkKeepIDRun(t, e, ws)
}

// pauseCopies makes e's copiers stop after the first entry of a layer
// until the returned file is removed (_RRUN_TEST_IDMAP_COPY_PAUSE in
// storage/idmap_testhook.go).
func pauseCopies(t *testing.T, e *env) string {
	release := filepath.Join(t.TempDir(), "copy-paused")
	if err := os.WriteFile(release, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(release) }) // before waitNoCopier: a failed test does not leave the copier waiting
	e.vars = append(e.vars, "_RRUN_TEST_IDMAP_COPY_PAUSE="+release)
	return release
}

func waitCopyPaused(t *testing.T, e *env, release string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if _, err := os.Stat(release + ".paused"); err == nil {
			return
		}
	}
	t.Fatalf("no copier paused in a layer after a keep-id run\n%s", copierState(e))
}

// okUnblocked runs rrun while a copier is paused: a command that waited for
// the copier would wait as long as the pause, so it is killed after a bound
// far above its time (a hang detector, not a timing assert).
func okUnblocked(t *testing.T, e *env, args ...string) {
	t.Helper()
	r, hung := e.runLimited(2*time.Minute, nil, "", args...)
	if hung {
		t.Fatalf("rrun %s waited for the paused layer copier (killed after 2 minutes): %s\n%s", strings.Join(args, " "), r, copierState(e))
	}
	if r.code != 0 {
		t.Fatalf("rrun %s: %s", strings.Join(args, " "), r)
	}
}
