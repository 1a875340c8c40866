package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// storeContainers is the storage plugin's container list (overlay): "[]"
// when it records none but a warm plugin's spares (rm_background_test.go).
func (e *env) storeContainers() string {
	if n := e.storageContainers(); n != 0 {
		return fmt.Sprintf("%d containers", n)
	}
	return "[]"
}

// A run refused before its container starts leaves no record and no
// storage container (so rmi does not find the image in use); container
// prune removes created containers too.
func TestRefusedRunLeavesNoRecord(t *testing.T) {
	e := withBusybox(t)
	installBad(t, e, "api-v9", 0o755)
	cases := [][]string{
		{"--isolation", "nope", "run", "--rm", "busybox", "true"},
		{"--isolation", "nope", "run", "-d", "busybox", "true"},
		{"--storage", "bad", "run", "busybox", "true"},
		{"--storage", "bad", "run", "-d", "busybox", "true"},
	}
	if !limitsAvailable() {
		cases = append(cases, []string{"run", "--memory", "512m", "busybox", "true"},
			[]string{"run", "-d", "--pids-limit", "10", "busybox", "true"})
	}
	for _, c := range cases {
		if r := e.run("", c...); r.code != 125 {
			t.Fatalf("%v: want 125: %s", c, r)
		}
		if ps := e.ok("ps", "-a", "--format", "{{.Names}} {{.Status}}").stdout; ps != "" {
			t.Fatalf("%v left a record: %q", c, ps)
		}
		if got := e.storeContainers(); got != "[]" {
			t.Fatalf("%v left a storage container: %s", c, got)
		}
	}
	e.ok("create", "--name", "made", "busybox", "true")
	e.ok("container", "prune", "-f")
	if ps := e.ok("ps", "-a", "-q").stdout; ps != "" {
		t.Fatalf("container prune must remove created containers: %q", ps)
	}
	e.ok("rmi", "busybox")
}

// With XDG_RUNTIME_DIR unset, a /tmp/rrun-UID that is not a directory of
// the user's own (here a symlink to a 0777 dir) is refused before anything
// is written into it, and the refused run leaves no record.
func TestUntrustedRunDirIsRefusedBeforeAnyWrite(t *testing.T) {
	e := withBusybox(t)
	tmp, other := filepath.Join(e.home, "tmp"), filepath.Join(e.home, "other")
	for _, d := range []string{tmp, other} {
		if err := os.Mkdir(d, 0o777); err != nil {
			t.Fatal(err)
		}
	}
	_ = os.Chmod(other, 0o777)
	if err := os.Symlink(other, filepath.Join(tmp, fmt.Sprintf("rrun-%d", os.Getuid()))); err != nil {
		t.Fatal(err)
	}
	vars := e.vars
	e.vars = []string{"TMPDIR=" + tmp}
	for _, v := range vars {
		if !strings.HasPrefix(v, "XDG_RUNTIME_DIR=") {
			e.vars = append(e.vars, v)
		}
	}
	r := e.run("", "run", "-d", "busybox", "true")
	if r.code != 125 || !strings.Contains(r.stderr, "run directory") {
		t.Fatalf("want 125 naming the run directory: %s", r)
	}
	if left, _ := os.ReadDir(other); len(left) != 0 {
		t.Fatalf("rrun wrote into the untrusted run dir: %v", left)
	}
	e.vars = vars
	if ps := e.ok("ps", "-a", "-q").stdout; ps != "" {
		t.Fatalf("the refused run left a record: %q", ps)
	}
}

// kill -9 of the CLI at any moment of `run --rm` or `load`: the next rrun
// command cleans up every record, storage container, socket, session,
// pasta and temporary file they left. The delays only vary where the kill
// lands; nothing is timed.
func TestKilledRunsAndLoadsLeaveNothing(t *testing.T) {
	e := withBusybox(t)
	// A warm plugin a killed run started but did not record yet ends
	// after the idle timeout: keep it short.
	e.vars = append(e.vars, "RRUN_SESSION_IDLE_TIMEOUT=2s")
	for _, ms := range []int{20, 50, 100, 200} {
		for i := 0; i < 10; i++ {
			cmd := e.start("run", "--rm", "busybox", "sleep", "5")
			time.Sleep(time.Duration(ms) * time.Millisecond)
			_ = cmd.Process.Signal(syscall.SIGKILL) // the CLI only, as a user's kill -9
			_ = cmd.Wait()
		}
	}
	for i := 0; i < 10; i++ {
		cmd := e.start("load", "-q", "-i", busyboxDocker)
		time.Sleep(time.Duration(20+20*i) * time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
	}
	time.Sleep(300 * time.Millisecond) // let the kernel finish off the killed sessions
	if ps := e.ok("ps", "-a").stdout; strings.Count(ps, "\n") != 1 {
		t.Fatalf("records left after kill -9s:\n%s", ps)
	}
	// system df waits for the removals a warm storage plugin finishes in
	// the background (docs/internal.md, the warm run --rm path).
	if n := e.dfContainers(); n != "0" {
		t.Errorf("system df counts %s containers after kill -9s", n)
	}
	if got := e.storeContainers(); got != "[]" {
		t.Errorf("storage containers left: %s", got)
	}
	// The session holder and the warm plugins stay up for their idle
	// timeout by design; once they are stopped nothing may be left.
	e.ok("system", "migrate")
	_ = filepath.Walk(filepath.Join(e.home, "run"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && (fi.Mode()&(os.ModeSocket|os.ModeNamedPipe) != 0 || filepath.Base(filepath.Dir(p)) == "sessions") {
			t.Errorf("left in the run dir: %s", p)
		}
		if err == nil && fi.IsDir() && filepath.Base(filepath.Dir(p)) == "native" && !strings.HasPrefix(fi.Name(), ".") { // .seccomp-cache is shared, not a container's
			t.Errorf("isolation state left: %s", p)
		}
		return nil
	})
	tmpDir := filepath.Join(e.home, "data", "rrun", "storage", "overlay", "tmp")
	if left := staleTmp(tmpDir); len(left) > 0 {
		t.Errorf("store tmp left: %v", left)
	}
	for _, pid := range e.processesLeft(10 * time.Second) {
		t.Errorf("process left: %d %s", pid, cmdline(pid))
	}
	if df := e.ok("system", "df").stdout; !strings.Contains(df, "Containers   0") {
		t.Errorf("system df counts containers: %s", df)
	}
	if r := e.ok("run", "--rm", "busybox", "echo", "ok"); r.stdout != "ok\n" {
		t.Fatalf("the next run: %s", r)
	}
}

// processesLeft waits (at most limit) until no live process of this user
// refers to the test's home, and returns those that still do.
func (e *env) processesLeft(limit time.Duration) []int {
	deadline := time.Now().Add(limit)
	for {
		var left []int
		for _, pid := range pids() {
			if ownerOf(pid) == os.Getuid() && !isZombie(pid) && strings.Contains(environ(pid)+cmdline(pid), e.home) {
				left = append(left, pid)
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// staleTmp lists the entries of a store's tmp dir that no live process
// holds: the lock file and the private dir of a running (warm) storage
// plugin are not left-overs.
func staleTmp(dir string) []string {
	entries, _ := os.ReadDir(dir)
	var out []string
	for _, en := range entries {
		if en.Name() == ".lock" {
			continue
		}
		f, err := os.Open(filepath.Join(dir, en.Name()))
		if err == nil && syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == syscall.EWOULDBLOCK {
			f.Close()
			continue
		}
		if f != nil {
			f.Close()
		}
		out = append(out, en.Name())
	}
	return out
}
