package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// storageContainers counts the root filesystems of containers that the
// overlay store records (not the warm plugin's spares), without a command
// that would first finish pending removals.
func (e *env) storageContainers() int {
	e.t.Helper()
	n := 0
	for _, names := range e.storageContainerNames() {
		if len(names) == 0 || !strings.HasPrefix(names[0], "rrun-spare-") {
			n++
		}
	}
	return n
}

// storageContainerNames are the names of each container the overlay store
// records, read from its files.
func (e *env) storageContainerNames() [][]string {
	e.t.Helper()
	var out [][]string
	for _, f := range []string{"containers.json", "volatile-containers.json"} {
		for _, c := range e.storageRecords(f) {
			out = append(out, c.Names)
		}
	}
	return out
}

// storageRecord is what the tests read of a c/storage container record.
type storageRecord struct {
	ID    string
	Names []string
	Layer string
}

// storageRecords are the records of the overlay store's containers file f
// (containers.json, volatile-containers.json); none when it is missing.
func (e *env) storageRecords(f string) []storageRecord {
	e.t.Helper()
	data, err := os.ReadFile(filepath.Join(e.home, "data", "rrun", "storage", "overlay", "overlay-containers", f))
	if os.IsNotExist(err) {
		return nil
	}
	var cs []storageRecord
	if err != nil || json.Unmarshal(data, &cs) != nil {
		e.t.Fatalf("unreadable %s: %v", f, err)
	}
	return cs
}

// hasSpareOf reports whether the store has a spare root filesystem made by
// the plugin process pid.
func (e *env) hasSpareOf(pid int) bool {
	e.t.Helper()
	for _, names := range e.storageContainerNames() {
		if len(names) > 0 && strings.HasPrefix(names[0], fmt.Sprintf("rrun-spare-%d-", pid)) {
			return true
		}
	}
	return false
}

// dfContainers is the Containers count of `rrun system df`, which waits for
// pending removals.
func (e *env) dfContainers() string {
	e.t.Helper()
	for _, l := range strings.Split(e.ok("system", "df").stdout, "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[0] == "Containers" {
			return f[1]
		}
	}
	e.t.Fatal("system df printed no Containers row")
	return ""
}

// A warm `run --rm` exits with the container's code as soon as the
// container is gone: its process removes the root filesystem afterwards.
// Nothing is left: ps -a is empty, the store has no container,
// and the image can be removed at once without -f.
func TestRunRmRemovesRootfsAfterExit(t *testing.T) {
	e := withBusybox(t)
	for i := 0; i < 3; i++ {
		if r, _ := e.warmRun("sh", "-c", "echo hi; exit 3"); r.code != 3 || r.stdout != "hi\n" {
			t.Fatalf("run --rm %d: %s", i, r)
		}
	}
	if ps := e.ok("ps", "-a", "-q").stdout; ps != "" {
		t.Fatalf("ps -a after run --rm: %q", ps)
	}
	if n := e.dfContainers(); n != "0" {
		t.Fatalf("system df counts %s containers after run --rm", n)
	}
	e.ok("rmi", "busybox")
}

// kill -9 of the warm storage plugin while it still removes a detached
// --rm container's root filesystem (held up by a test hook; a foreground
// run removes it before its process lets go, see TestFullDiskRunRmAndRmFreeTheSpace):
// the container's record is gone; the next command's storage plugin
// finishes the removal from the journal.
func TestRunRmStoragePluginKilledDuringRemoval(t *testing.T) {
	e := withBusybox(t)
	saved := e.vars
	e.vars = append(append([]string(nil), e.vars...), "_RRUN_TEST_REMOVAL_DELAY=1h")
	e.ok("run", "-d", "--rm", "--network", "none", "busybox", "sh", "-c", "exit 7")
	e.vars = saved
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) && e.ok("ps", "-a", "-q").stdout != "" {
		time.Sleep(100 * time.Millisecond)
	}
	if ps := e.ok("ps", "-a", "-q").stdout; ps != "" {
		t.Fatalf("ps -a after the run -d --rm container exited: %q", ps)
	}
	if n := e.storageContainers(); n != 1 {
		t.Fatalf("want the root filesystem still pending removal, the store has %d containers", n)
	}
	pid := e.warmPIDOf("-s-overlay")
	if pid == 0 {
		t.Fatalf("no warm storage plugin: %v", e.warmPIDs())
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if r, _ := e.warmRun("echo", "next"); r.code != 0 || r.stdout != "next\n" {
		t.Fatalf("the next run: %s", r)
	}
	if n := e.dfContainers(); n != "0" {
		t.Fatalf("system df counts %s containers after the killed removal was finished", n)
	}
	if n := e.storageContainers(); n != 0 {
		t.Fatalf("the store still has %d containers", n)
	}
	e.ok("rmi", "busybox")
}

// A warm storage plugin keeps a mounted spare root filesystem for the next
// run; killed (or gone idle), it leaves the spare behind. The next warm
// storage plugin drops it, without a command that drops all spares (rmi,
// system df).
func TestWarmStoragePluginGoneLeavesNoSpare(t *testing.T) {
	e := withBusybox(t)
	for i := 0; i < 2; i++ {
		if r, _ := e.warmRun("true"); r.code != 0 {
			t.Fatalf("run --rm %d: %s", i, r)
		}
	}
	pid := e.warmPIDOf("-s-overlay")
	if pid == 0 {
		t.Fatalf("no warm storage plugin: %v", e.warmPIDs())
	}
	waitSpare(t, e, pid, true)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if r, _ := e.warmRun("true"); r.code != 0 {
		t.Fatalf("the run after the kill: %s", r)
	}
	waitSpare(t, e, pid, false)
	e.ok("rmi", "busybox")
}

// waitSpare waits until the store has (or no longer has) a spare of the
// plugin process pid: it is made, or dropped, in the background.
func waitSpare(t *testing.T, e *env, pid int, want bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for e.hasSpareOf(pid) != want {
		if time.Now().After(deadline) {
			t.Fatalf("after 30s the store still says spare of plugin %d: %v (%v)", pid, !want, e.storageContainerNames())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// durableSpares maps the c/storage id of each spare that stays (made for
// containers that are not --rm) to its layer, from containers.json.
func (e *env) durableSpares() map[string]string {
	e.t.Helper()
	out := map[string]string{}
	for _, c := range e.storageRecords("containers.json") {
		if len(c.Names) > 0 && strings.HasPrefix(c.Names[0], "rrun-spare-") && strings.Contains(c.Names[0], "-d-") {
			out[c.ID] = c.Layer
		}
	}
	return out
}

// A warm `run -d` (a container that stays, recorded with fsync) leaves a
// spare of its own kind, made in the background, that the next `run -d`
// of the image takes; its container is an ordinary one: it runs, is
// removed, and the image can go.
func TestDetachedRunTakesASpareRootfs(t *testing.T) {
	e := withBusybox(t)
	e.warmRun("true") // the holder and the warm plugins
	first := e.detached("--network", "none", "busybox", "sleep", "600")
	// The spare is made, then mounted, in the background; a prepare that
	// comes meanwhile makes its own container.
	mounts := mountpointsJSON(e)
	var spareID string
	deadline := time.Now().Add(30 * time.Second)
	for spareID == "" && time.Now().Before(deadline) {
		data, _ := os.ReadFile(mounts)
		for id, layer := range e.durableSpares() {
			if bytes.Contains(data, []byte(`"`+layer+`"`)) {
				spareID = id
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if spareID == "" {
		t.Fatalf("no mounted spare after a warm run -d: %v", e.storageContainerNames())
	}
	second := e.detached("--network", "none", "busybox", "sh", "-c", "echo hi > /f; sleep 600")
	if _, still := e.durableSpares()[spareID]; still {
		t.Fatalf("the second run -d did not take the spare %s: %v", spareID, e.durableSpares())
	}
	if r := e.ok("exec", second, "cat", "/f"); strings.TrimSpace(r.stdout) != "hi" {
		t.Fatalf("the container on the spare rootfs: %s", r)
	}
	if r := e.run("", "exec", first, "cat", "/f"); r.code == 0 {
		t.Fatalf("the first container sees the second's file: %s", r)
	}
	e.ok("rm", "-f", first, second)
	e.ok("rmi", "busybox") // drops the spares made from it
	if n := e.storageContainers(); n != 0 {
		t.Fatalf("%d root filesystems left after rm and rmi: %v", n, e.storageContainerNames())
	}
}

// volatileContainers are the names of each --rm container's c/storage
// container, by its id (the overlay store's volatile-containers.json).
func (e *env) volatileContainers() map[string][]string {
	e.t.Helper()
	out := map[string][]string{}
	for _, c := range e.storageRecords("volatile-containers.json") {
		out[c.ID] = c.Names
	}
	return out
}

// A warm `run --rm`'s root filesystem is recycled as the next run's spare
// (storage/rootfs_recycle.go): the next container of the image must find
// nothing of it — not a file it wrote or deleted, not a directory it
// replaced (an opaque one in the upper dir), not the mode, owner or time
// it gave /.
func TestRunRmRecycledRootfsKeepsNothing(t *testing.T) {
	e := withBusybox(t)
	e.warmRun("true") // the holder and the warm plugins
	const look = `ls -ld / | cut -c1-10; stat -c %u:%g /; cat /written 2>&1; ls /etc/group /bin/ls; ls /bin/only /b2 2>&1; ` +
		`[ "$(stat -c %Y /)" -gt 1000000000 ] && echo recent`
	pristine := e.ok("run", "--rm", "--network", "none", "busybox", "sh", "-c", look).stdout
	e.ok("run", "--rm", "--network", "none", "busybox", "sh", "-c",
		"echo x > /written && rm /etc/group && chmod 700 / && chown 1:1 / && "+
			"cp -a /bin /b2 && rm -rf /bin && /b2/mkdir /bin && /b2/touch /bin/only && /b2/touch -d 2001-01-01 /")
	recycled := ""
	for deadline := time.Now().Add(30 * time.Second); recycled == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		for id, names := range e.volatileContainers() {
			if len(names) == 1 && strings.HasPrefix(names[0], "rrun-spare-") && strings.Contains(names[0], "-r-") {
				recycled = id
			}
		}
	}
	if recycled == "" {
		t.Fatalf("no recycled spare after a warm run --rm: %v", e.volatileContainers())
	}
	id := e.detached("--rm", "--network", "none", "busybox", "sh", "-c", look+"; sleep 600")
	if names := e.volatileContainers()[recycled]; len(names) != 1 || names[0] != id {
		t.Fatalf("the next run --rm did not take the recycled rootfs %s: it is named %v", recycled, names)
	}
	if got := e.waitLog(id, "recent"); got != pristine {
		t.Fatalf("a container on a recycled rootfs sees\n%s\nwhere a fresh one sees\n%s", got, pristine)
	}
}

// recycledSpares are the ids of the recycled spares of the store.
func (e *env) recycledSpares() []string {
	e.t.Helper()
	var ids []string
	for id, names := range e.volatileContainers() {
		if len(names) == 1 && strings.HasPrefix(names[0], "rrun-spare-") && strings.Contains(names[0], "-r-") {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// Two warm `run --rm` containers that end together are both recycled (an
// image has two slots: back to back, a run claims the next spare while
// the last one's is being recycled), and the next two runs take them.
func TestRunRmRecyclesTwoRootfsAtOnce(t *testing.T) {
	e := withBusybox(t)
	e.warmRun("true")
	// Its rootfs recycled: the first of the two below takes it.
	for deadline := time.Now().Add(30 * time.Second); len(e.recycledSpares()) == 0 && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	first := []string{e.detached("--rm", "--network", "none", "busybox", "sleep", "600"),
		e.detached("--rm", "--network", "none", "busybox", "sleep", "600")}
	if left := e.recycledSpares(); len(left) != 0 {
		t.Fatalf("recycled spares %v left after two runs took theirs", left)
	}
	e.ok(append([]string{"kill"}, first...)...)
	var recycled []string
	for deadline := time.Now().Add(30 * time.Second); len(recycled) < 2 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		recycled = e.recycledSpares()
	}
	if len(recycled) != 2 {
		t.Fatalf("two --rm containers ended, and %d recycled spares are there (want 2): %v", len(recycled), e.volatileContainers())
	}
	next := []string{e.detached("--rm", "--network", "none", "busybox", "sleep", "600"),
		e.detached("--rm", "--network", "none", "busybox", "sleep", "600")}
	defer e.ok(append([]string{"rm", "-f"}, next...)...)
	all := e.volatileContainers()
	for _, id := range recycled {
		if names := all[id]; len(names) != 1 || !slices.Contains(next, names[0]) {
			t.Errorf("the recycled rootfs %s is named %v, not one of the next runs %v", id, names, next)
		}
	}
}

// Concurrent warm `run --rm`s of one image each get a root filesystem of
// their own, whether a recycled spare, the spare made anew or a new one:
// none sees another's file.
func TestConcurrentRunRmRootfsAreTheirOwn(t *testing.T) {
	e := withBusybox(t)
	e.warmRun("true")
	for round := 0; round < 3; round++ {
		const n = 6
		outs := make([]string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := e.run("", "run", "--rm", "--network", "none", "busybox", "sh", "-c",
					fmt.Sprintf("echo %d > /mine-%d; sleep 0.3; ls / | grep mine-", i, i))
				outs[i] = r.stdout
			}()
		}
		wg.Wait()
		for i, out := range outs {
			if want := fmt.Sprintf("mine-%d\n", i); out != want {
				t.Fatalf("round %d, run %d sees %q in /, want only its own %q", round, i, out, want)
			}
		}
	}
}

// A served foreground `run --rm` exits with the container's code before
// its container is removed (the pool process removes it next, here held up
// by a test hook), yet the commands that come next never see it: ps -a
// lists nothing, its name is free for the next run, and its image can be
// removed without -f, each waiting for that removal.
func TestRunRmGoneForTheNextCommand(t *testing.T) {
	e := withBusybox(t)
	e.waitPool()
	errf, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer errf.Close()
	// stderr in a file, not a pipe: the command is over when its process
	// is, whatever still holds the file open.
	runRm := func(delay string) time.Duration {
		cmd := e.tracedCmd("", "run", "--rm", "--name", "gone-soon", "--network", "none", "busybox", "sh", "-c", "exit 4")
		cmd.Env = append(cmd.Env, "_RRUN_TEST_LATER_REMOVAL_DELAY="+delay)
		cmd.Stderr = errf
		began := time.Now()
		err := cmd.Run()
		took := time.Since(began)
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 4 {
			data, _ := os.ReadFile(errf.Name())
			t.Fatalf("run --rm: %v\n%s", err, data)
		}
		return took
	}
	if took := runRm("8s"); took > 6*time.Second {
		data, _ := os.ReadFile(errf.Name())
		t.Fatalf("run --rm waited for its removal (%s):\n%s", took, data)
	}
	if ps := e.ok("ps", "-a", "--format", "{{.Names}}").stdout; ps != "" {
		t.Fatalf("ps -a right after run --rm: %q", ps)
	}
	runRm("1s")
	runRm("0s") // the name of the one removed a moment ago
	e.ok("rmi", "busybox")
	if data, _ := os.ReadFile(errf.Name()); strings.Contains(untraced(string(data)), "rrun:") {
		t.Fatalf("the runs said:\n%s", data)
	}
}
