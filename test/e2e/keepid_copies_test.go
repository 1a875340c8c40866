package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rrun-project/rrun/plugins/testsuite/fixtures"
)

const (
	mechFuse     = "fuse-overlayfs uidmapping/gidmapping (no copy)"
	mechCopies   = "native overlay over mapped copies of each layer"
	copiesReady1 = "ready for 1 image(s), being made for 0"
)

// On an overlay store with a usable /dev/fuse the first keep-id run of an
// image goes through fuse-overlayfs and a detached copier then makes mapped
// copies of its layers; once they are complete later keep-id runs use
// native overlay over them, with the same owners; rmi removes the copies.
func TestKeepIDBackgroundCopies(t *testing.T) {
	e := keepIDCopiesEnv(t)
	ws := t.TempDir()
	checkKeepIDRun(t, e, ws)
	if m := keepIDOwnersInfo(t, e); !strings.HasPrefix(m, mechFuse) {
		t.Fatalf("the first keep-id run did not use fuse-overlayfs: %q", m)
	}
	waitCopies(t, e, copiesReady1)
	checkKeepIDRun(t, e, ws)
	if m := keepIDOwnersInfo(t, e); !strings.HasPrefix(m, mechCopies) {
		t.Fatalf("a keep-id run after the copies were made did not use them: %q", m)
	}
	// The warm storage plugin made the next keep-id rootfs (a writable
	// layer on the copies, mounted) in the background, and recycled the
	// last one's (storage/idmap_spare.go); the next keep-id container
	// takes one of them and is what a new one would be, even after a
	// container that wrote, deleted and chmod-ed in its rootfs.
	waitSpareLayer(t, e)
	const dirty = "stat -c %a /; echo x > /written && rm /etc/shadow && chmod 700 / && echo dirty; sleep 600"
	first := keepIDDetached(t, e, []string{"-u", "0"}, dirty) // root of the container: it owns /
	mode := strings.Fields(e.waitLog(first, "dirty"))[0]      // of / as made
	e.ok("rm", "-f", first)
	recycled := waitRecycledLayer(t, e, first)
	const look = "stat -c %a /; ls /written 2>&1; stat -c %u:%g /etc/shadow; sleep 600"
	second := keepIDDetached(t, e, nil, look)
	if l := keepIDLayer(t, e, second); l != recycled {
		t.Errorf("the next keep-id container's layer is %.12s, not the recycled %.12s", l, recycled)
	}
	expect(t, "a keep-id container on a recycled rootfs", strings.Join(strings.Fields(e.waitLog(second, "0:42")), " "),
		mode+" ls: cannot access '/written': No such file or directory 0:42")
	e.ok("rm", "-f", second)
	checkKeepIDRun(t, e, ws)
	checkKeepIDSu(t, e)
	e.ok("rmi", fixtures.DebianName) // drops the spare too: no copy may stay under it
	checkNoCopiesLeft(t, e)
	for id, names := range layerNames(t, e) {
		t.Errorf("layer %.12s %v left after rmi", id, names)
	}
}

// keepIDDetached starts a detached --rm keep-id container of the Debian
// fixture running script (with more run options opts), checks that it
// took a spare rootfs, and returns its id.
func keepIDDetached(t *testing.T, e *env, opts []string, script string) string {
	t.Helper()
	spares := map[string]bool{}
	for id, names := range layerNames(t, e) {
		if len(names) > 0 && strings.HasPrefix(names[0], "rrun-spare-") && strings.Contains(names[0], "-k-") {
			spares[id] = true
		}
	}
	args := append(append([]string{"--rm", "--userns=keep-id"}, opts...), fixtures.DebianName, "sh", "-c", script)
	id := e.detached(args...)
	if l := keepIDLayer(t, e, id); !spares[l] {
		t.Fatalf("keep-id container %.12s is on layer %.12s, not one of the spare rootfs %v", id, l, spares)
	}
	return id
}

// keepIDLayer is the id of keep-id container id's writable layer.
func keepIDLayer(t *testing.T, e *env, id string) string {
	t.Helper()
	for l, names := range layerNames(t, e) {
		if slices.Contains(names, "rrun-idmap-rootfs:"+id) {
			return l
		}
	}
	t.Fatalf("no writable layer of keep-id container %.12s: %v", id, layerNames(t, e))
	return ""
}

// waitRecycledLayer waits until removed keep-id container id's layer is
// a recycled spare rootfs, and returns its id.
func waitRecycledLayer(t *testing.T, e *env, id string) string {
	t.Helper()
	recycled := ""
	find := func() bool {
		for l, names := range layerNames(t, e) {
			if len(names) > 0 && strings.Contains(names[0], "-k-r-") {
				recycled = l
				return true
			}
		}
		return false
	}
	if !waitUntil(30*time.Second, find) { // a bound on a recycling never done, not a timing assert
		t.Fatalf("keep-id container %.12s removed, and no recycled spare rootfs: %v", id, layerNames(t, e))
	}
	return recycled
}

// waitSpareLayer waits for a mounted spare keep-id rootfs of e's warm
// storage plugin (storage/idmap_spare.go) and returns its layer's id.
func waitSpareLayer(t *testing.T, e *env) string {
	t.Helper()
	spare := ""
	mounted := func() bool {
		data, _ := os.ReadFile(mountpointsJSON(e))
		for id, names := range layerNames(t, e) {
			if len(names) > 0 && strings.HasPrefix(names[0], "rrun-spare-") && strings.Contains(names[0], "-k-") &&
				bytes.Contains(data, []byte(`"`+id+`"`)) {
				spare = id
				return true
			}
		}
		return false
	}
	if !waitUntil(30*time.Second, mounted) { // a bound on a spare never made, not a timing assert
		t.Fatalf("no mounted spare keep-id rootfs after a keep-id run on the copies: %v", layerNames(t, e))
	}
	return spare
}

// layerNames are the names of every layer of e's overlay store, by id.
func layerNames(t *testing.T, e *env) map[string][]string {
	t.Helper()
	layers, err := layerRecords(e)
	if err != nil && !os.IsNotExist(err) {
		t.Fatalf("layers.json: %v", err)
	}
	out := map[string][]string{}
	for _, l := range layers {
		out[l.ID] = l.Names
	}
	return out
}

// layerRecord is what these tests read of a layer in layers.json.
type layerRecord struct {
	ID    string
	Names []string
	Flags map[string]any
}

// layerRecords reads the layers of e's overlay store.
func layerRecords(e *env) ([]layerRecord, error) {
	var layers []layerRecord
	raw, err := os.ReadFile(layersJSON(e))
	if err == nil {
		err = json.Unmarshal(raw, &layers)
	}
	return layers, err
}

// A copier killed midway leaves nothing a container uses: the next keep-id
// run goes through fuse-overlayfs again, with the right owners, and starts
// a new copier, whose copies later runs use. That run follows the first
// within seconds, so a pre-started process of the session holder serves
// it: the path that once never restarted the copier.
func TestKeepIDBackgroundCopyKilled(t *testing.T) {
	e := keepIDCopiesEnv(t)
	ws := t.TempDir()
	checkKeepIDRun(t, e, ws)
	pid := waitCopier(t, e)
	time.Sleep(500 * time.Millisecond)                          // into the copy (Debian's layer takes seconds), not a timing assert
	if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil { // its own session: rootlesskit and all
		t.Fatalf("failed to kill the copier %d: %v", pid, err)
	}
	waitNoCopier(t, e)
	if copiesDone(t, e) {
		t.Fatal("the copier finished before it was killed: nothing was tested")
	}
	if m := keepIDOwnersInfo(t, e); !strings.Contains(m, "being made for 0, waiting for the next keep-id run for 1") {
		t.Errorf("rrun info after the copier was killed: %q, want the request waiting for the next keep-id run", m)
	}
	checkKeepIDRun(t, e, ws)
	if m := keepIDOwnersInfo(t, e); !strings.HasPrefix(m, mechFuse) {
		t.Fatalf("a keep-id run after the copier was killed did not use fuse-overlayfs: %q", m)
	}
	waitCopies(t, e, copiesReady1)
	checkKeepIDRun(t, e, ws)
	if m := keepIDOwnersInfo(t, e); !strings.HasPrefix(m, mechCopies) {
		t.Fatalf("a keep-id run after the copies were redone did not use them: %q", m)
	}
}

func keepIDCopiesEnv(t *testing.T) *env {
	if !fixtures.HasSubUIDs() {
		t.Skip("mapped copies need a subordinate uid range")
	}
	if err := fuseUsable(); err != nil {
		t.Skipf("the fuse-overlayfs first run needs /dev/fuse: %v (test/setup-host.sh makes it usable)", err)
	}
	e := debianEnv(t, "RRUN_STORAGE=overlay")
	t.Cleanup(func() { waitNoCopier(t, e) })
	return e
}

// checkKeepIDRun checks the image's owners, the ids and a -v workspace
// write in a keep-id container.
func checkKeepIDRun(t *testing.T, e *env, ws string) {
	t.Helper()
	r := e.ok("run", "--rm", "--userns=keep-id", "-v", ws+":/w", fixtures.DebianName, "sh", "-c",
		"stat -c %u:%g /bin/su /etc/shadow /srv/app /srv/drop; id -u; id -g; rm -f /w/out; echo x > /w/out")
	want := fmt.Sprintf("0:0 0:42 1000:1000 33:33 %d %d", os.Getuid(), os.Getgid())
	expect(t, "owners and ids in a keep-id container", strings.Join(strings.Fields(r.stdout), " "), want)
	ownedByMe(t, filepath.Join(ws, "out"))
}

// checkKeepIDSu checks that su, setuid root, takes the invoking user to root.
func checkKeepIDSu(t *testing.T, e *env) {
	t.Helper()
	id := strings.TrimSpace(e.ok("run", "-d", "--userns=keep-id", fixtures.DebianName, "sleep", "60").stdout)
	defer e.run("", "rm", "-f", id)
	e.ok("exec", "-u", "0", id, "sed", "-i", "s/^root:[^:]*:/root::/", "/etc/shadow")
	r := e.ok("exec", id, "sh", "-c", "id -u; su -c 'id -u' root")
	expect(t, "su from the invoking user to root", strings.Join(strings.Fields(r.stdout), " "), fmt.Sprintf("%d 0", os.Getuid()))
	e.ok("rm", "-f", id)
}

func keepIDOwnersInfo(t *testing.T, e *env) string {
	t.Helper()
	var in struct{ KeepIDOwners string }
	if err := json.Unmarshal([]byte(e.ok("info", "--format", "json").stdout), &in); err != nil {
		t.Fatalf("rrun info --format json: %v", err)
	}
	return in.KeepIDOwners
}

// waitCopies polls rrun info until the copies' state says want, and says
// where the copier is when they never get there.
func waitCopies(t *testing.T, e *env, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Minute) // a bound on a hung or dead copier (Debian's copy takes seconds), not a timing assert
	for {
		m := keepIDOwnersInfo(t, e)
		if strings.Contains(m, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the mapped copies never got %q: %q\n%s", want, m, copierState(e))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// copierState describes e's copiers, copy state files and mapped layers,
// for a failure message.
func copierState(e *env) string {
	var b strings.Builder
	fmt.Fprintf(&b, "copier processes: %v\n", copierPIDs(e))
	files, _ := filepath.Glob(filepath.Join(e.home, "data", "rrun", "storage", "overlay", "idmap-copies", "*"))
	for _, f := range files {
		fmt.Fprintf(&b, "state file %s (lock held: %v)\n", filepath.Base(f), strings.HasSuffix(f, ".lock") && lockHeld(f))
	}
	layers, err := layerRecords(e)
	if err != nil {
		fmt.Fprintf(&b, "layers.json: %v\n", err)
	}
	for _, l := range layers {
		if len(l.Names) > 0 && strings.HasPrefix(l.Names[0], "rrun-idmap") || len(l.Flags) > 0 {
			fmt.Fprintf(&b, "layer %.12s %v %v\n", l.ID, l.Names, l.Flags)
		}
	}
	return b.String()
}

func copiesDone(t *testing.T, e *env) bool {
	return strings.Contains(keepIDOwnersInfo(t, e), copiesReady1)
}

func checkNoCopiesLeft(t *testing.T, e *env) {
	t.Helper()
	waitNoCopier(t, e)
	if b, err := os.ReadFile(layersJSON(e)); err != nil || bytes.Contains(b, []byte("rrun-idmap")) {
		t.Fatalf("mapped layer copies left after rmi (%v): %s", err, b)
	}
	state, _ := filepath.Glob(filepath.Join(e.home, "data", "rrun", "storage", "overlay", "idmap-copies", "*-*"))
	if len(state) > 0 {
		t.Fatalf("copy state left after rmi: %v", state)
	}
}

func layersJSON(e *env) string {
	return filepath.Join(e.home, "data", "rrun", "storage", "overlay", "overlay-layers", "layers.json")
}

// mountpointsJSON is where c/storage counts the mounts of e's overlay
// layers (in the run root).
func mountpointsJSON(e *env) string {
	return filepath.Join(e.home, "run", "rrun", "storage", "overlay", "overlay-layers", "mountpoints.json")
}

// copierPIDs are the `rrun idmap-copy` processes of e's store.
func copierPIDs(e *env) []int { return copierPIDsOf(e.home) }

// copierPIDsOf are the `rrun idmap-copy` processes of the home's store.
func copierPIDsOf(home string) []int {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	var out []int
	for _, d := range dirs {
		cmd, _ := os.ReadFile(filepath.Join(d, "cmdline"))
		if !bytes.HasSuffix(cmd, []byte("\x00idmap-copy\x00")) {
			continue
		}
		envb, _ := os.ReadFile(filepath.Join(d, "environ"))
		if bytes.Contains(envb, []byte("\x00HOME="+home+"\x00")) || bytes.HasPrefix(envb, []byte("HOME="+home+"\x00")) {
			pid, _ := strconv.Atoi(filepath.Base(d))
			out = append(out, pid)
		}
	}
	return out
}

// waitCopier waits for e's copier to hold its lock (at work) and returns
// its pid.
func waitCopier(t *testing.T, e *env) int {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		locks, _ := filepath.Glob(filepath.Join(e.home, "data", "rrun", "storage", "overlay", "idmap-copies", "*.lock"))
		if pids := copierPIDs(e); len(pids) > 0 && len(locks) > 0 && lockHeld(locks[0]) {
			return pids[0]
		}
	}
	t.Fatal("no copier started after a keep-id run")
	return 0
}

func waitNoCopier(t *testing.T, e *env) {
	for deadline := time.Now().Add(10 * time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if len(copierPIDs(e)) == 0 {
			return
		}
	}
	t.Errorf("the copier of %s never ended", e.home)
}

func lockHeld(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	return syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB) != nil
}
