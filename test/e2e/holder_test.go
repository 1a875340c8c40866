package e2e

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// holderPID is the pid the session holder's record names (0: none).
func (e *env) holderPID() int {
	data, err := os.ReadFile(filepath.Join(e.home, "run", "rrun", "holder"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.Fields(string(data))[0])
	return pid
}

// killHolder kills the session holder, if one runs (a pid of 0 would be
// kill(0): the test's own process group).
// It returns once the holder is exiting: a command started while the
// killed process has not run its exit yet still finds it usable and joins
// its namespaces (which outlive it), and then no command starts the
// replacement a test waits for.
func (e *env) killHolder() {
	pid := e.holderPID()
	if pid <= 0 {
		return
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	for i := 0; i < 200 && !exiting(pid); i++ {
		time.Sleep(10 * time.Millisecond)
	}
}

// exiting reports whether pid is gone, a zombie, or has begun its exit
// (PF_EXITING in field 9 of /proc/PID/stat), as rrun's own check reads it.
func exiting(pid int) bool {
	f := statFields(pid)
	if len(f) < 7 || f[0] == "Z" || f[0] == "X" {
		return true
	}
	flags, _ := strconv.ParseUint(f[6], 10, 64)
	return flags&0x4 != 0
}

// warmRun runs `run --rm --network none busybox ARGS` with RRUN_TRACE=1
// and reports whether it joined the session holder (or was served by one
// of its pre-started processes, which are in its namespaces).
func (e *env) warmRun(args ...string) (result, bool) {
	e.t.Helper()
	saved := e.vars
	e.vars = append(append([]string(nil), e.vars...), "RRUN_TRACE=1")
	defer func() { e.vars = saved }()
	r := e.run("", append([]string{"run", "--rm", "--network", "none", "busybox"}, args...)...)
	joined := warmTrace(r.stderr)
	var kept []string
	for _, l := range strings.Split(r.stderr, "\n") {
		if !strings.HasPrefix(l, "rrun trace:") && l != "" {
			kept = append(kept, l)
		}
	}
	r.stderr = strings.Join(kept, "\n")
	return r, joined
}

// The second `run --network none` joins the holder the first one started,
// and sees what a cold run sees: the same id mapping, the container's exit
// code, its output and no warning.
func TestHolderWarmRunJoinsAndBehavesLikeCold(t *testing.T) {
	e := withBusybox(t)
	script := "id -u; cat /proc/self/uid_map; echo out; exit 3"
	saved := e.vars
	e.vars = append(append([]string(nil), e.vars...), "RRUN_HOLDER=0")
	cold := e.run("", "run", "--rm", "--network", "none", "busybox", "sh", "-c", script)
	e.vars = saved
	if e.holderPID() != 0 {
		t.Fatalf("RRUN_HOLDER=0 started a holder")
	}
	first, _ := e.warmRun("sh", "-c", script)
	warm, joined := e.warmRun("sh", "-c", script)
	if !joined {
		t.Fatalf("the second run did not join the holder: %s", warm)
	}
	for name, r := range map[string]result{"first": first, "warm": warm} {
		if r.code != 3 || r.stdout != cold.stdout || strings.TrimSpace(r.stderr) != strings.TrimSpace(cold.stderr) {
			t.Fatalf("%s run differs from a cold run:\n%s\ncold:\n%s", name, r, cold)
		}
	}
	if h := e.holderPID(); h == 0 || ownerOf(h) != os.Getuid() {
		t.Fatalf("no holder recorded (pid %d)", h)
	}
}

// kill -9 of the holder leaves a detached container running; ps stays true
// and the next warm run starts a new holder.
func TestHolderKilledDetachedContainerLivesOn(t *testing.T) {
	e := withBusybox(t)
	id := strings.TrimSpace(e.ok("run", "-d", "--network", "none", "busybox", "sleep", "600").stdout)
	t.Cleanup(func() { e.run("", "rm", "-f", id) })
	old := e.holderPID()
	if old == 0 {
		t.Fatal("run -d --network none started no holder")
	}
	if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if ps := e.ok("ps", "--format", "{{.Status}}").stdout; !strings.HasPrefix(ps, "Up") {
		t.Fatalf("after the holder was killed, ps says %q", ps)
	}
	if r := e.ok("exec", id, "echo", "alive"); r.stdout != "alive\n" {
		t.Fatalf("exec after the holder was killed: %s", r)
	}
	if r, _ := e.warmRun("echo", "next"); r.code != 0 || r.stdout != "next\n" {
		t.Fatalf("the next run: %s", r)
	}
	if now := e.holderPID(); now == old || now == 0 {
		t.Fatalf("no new holder after %d was killed (now %d)", old, now)
	}
	e.ok("stop", "-t", "1", id)
	if ps := e.ok("ps", "-a", "--format", "{{.Status}}").stdout; !strings.HasPrefix(ps, "Exited") {
		t.Fatalf("after stop, ps says %q", ps)
	}
}

// kill -9 of a warm foreground CLI: the next command finds the container
// without its owner, says it exited, and no container process is left.
func TestHolderKilledForegroundCLIIsReconciled(t *testing.T) {
	e := withBusybox(t)
	e.warmRun("true") // starts the holder
	cmd := exec.Command(rrunBin, "run", "--network", "none", "--name", "fg", "busybox", "sh", "-c", "echo started; sleep 6061")
	cmd.Env = e.vars
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); line != "started\n" {
		t.Fatalf("container did not start: %q", line)
	}
	go io.Copy(io.Discard, stdout)
	t.Cleanup(func() { // a failed run of this test must not leave its container to the next one
		if pid := findDescendantOrZero(1, "sleep 6061", os.Getuid()); pid != 0 {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	// The record says running a moment after the command starts.
	for i := 0; i < 100 && !strings.HasPrefix(e.ok("ps", "--format", "{{.Status}}").stdout, "Up"); i++ {
		time.Sleep(100 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if ps := e.ok("ps", "-a", "--format", "{{.Names}} {{.Status}}").stdout; !strings.HasPrefix(ps, "fg Exited") {
		t.Fatalf("after its CLI was killed, ps says %q", ps)
	}
	if left := findDescendantOrZero(1, "sleep 6061", os.Getuid()); left != 0 {
		t.Fatalf("the container's process %d outlived its killed CLI and the next command", left)
	}
	if r, joined := e.warmRun("echo", "next"); r.code != 0 || r.stdout != "next\n" || !joined {
		t.Fatalf("the next run (joined %v): %s", joined, r)
	}
}

// A holder started by another rrun binary is never joined: it is replaced.
func TestHolderOfAnotherBinaryIsReplaced(t *testing.T) {
	e := withBusybox(t)
	e.warmRun("true")
	old := e.holderPID()
	other := filepath.Join(e.home, "rrun-other")
	data, err := os.ReadFile(rrunBin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(other, data, 0o755); err != nil {
		t.Fatal(err)
	}
	// Its container init sits next to it, as an install puts it.
	nsinit, err := os.ReadFile(filepath.Join(filepath.Dir(rrunBin), "rrun-nsinit"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.home, "rrun-nsinit"), nsinit, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(other, "run", "--rm", "--network", "none", "busybox", "echo", "other")
	cmd.Env = e.vars
	if out, err := cmd.Output(); err != nil || string(out) != "other\n" {
		t.Fatalf("run from another binary: %v %s%s", err, out, stderrOf(err))
	}
	if now := e.holderPID(); now == old || now == 0 {
		t.Fatalf("the holder %d of another binary was kept (now %d)", old, now)
	}
	time.Sleep(100 * time.Millisecond)
	if ownerOf(old) == os.Getuid() && !isZombie(old) {
		t.Fatalf("the replaced holder %d still runs", old)
	}
}

// `rrun system migrate` stops the holder; containers keep running.
func TestHolderStoppedBySystemMigrate(t *testing.T) {
	e := withBusybox(t)
	e.warmRun("true")
	old := e.holderPID()
	if r := e.ok("info", "--format", "{{.Session.HolderPID}}"); strings.TrimSpace(r.stdout) != strconv.Itoa(old) {
		t.Fatalf("info shows holder %q, want %d", r.stdout, old)
	}
	e.ok("system", "migrate")
	time.Sleep(100 * time.Millisecond)
	if ownerOf(old) == os.Getuid() && !isZombie(old) {
		t.Fatalf("system migrate left the holder %d running", old)
	}
	if r, _ := e.warmRun("echo", "after"); r.stdout != "after\n" {
		t.Fatalf("run after migrate: %s", r)
	}
}

// 100 concurrent warm runs race to start one holder and leave nothing:
// no record, no storage container, no rootfs mount in the holder's mount
// namespace, no process but the holder and the warm plugins.
func TestHolderManyConcurrentWarmRunsLeaveNothing(t *testing.T) {
	e := withBusybox(t)
	const n = 100
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if r, _ := e.warmRun("echo", fmt.Sprint(i)); r.code != 0 || r.stdout != fmt.Sprintf("%d\n", i) {
				errs <- r.String()
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("a concurrent warm run failed: %s", err)
	}
	if ps := e.ok("ps", "-a", "-q").stdout; ps != "" {
		t.Fatalf("records left: %q", ps)
	}
	if n := e.dfContainers(); n != "0" || e.storageContainers() != 0 {
		t.Fatalf("containers left in the store: system df counts %s, the store has %d", n, e.storageContainers())
	}
	holders := 0
	for _, pid := range pids() {
		if ownerOf(pid) == os.Getuid() && strings.Contains(cmdline(pid), "__holder") && strings.Contains(cmdline(pid), e.home) && !isZombie(pid) {
			holders++
		}
	}
	if holders != 1 {
		t.Fatalf("want one holder after concurrent starts, got %d", holders)
	}
	mounts, _ := os.ReadFile(fmt.Sprintf("/proc/%d/mountinfo", e.holderPID()))
	for _, l := range strings.Split(string(mounts), "\n") {
		if strings.Contains(l, e.home) && strings.Contains(l, "/merged") {
			t.Fatalf("a rootfs is still mounted in the holder's namespace: %s", l)
		}
	}
	e.noStrayProcesses()
}

// noStrayProcesses fails when a process of this test's home (in its
// command line or environment) is left other than the holder and the
// warm plugins.
func (e *env) noStrayProcesses() {
	e.t.Helper()
	time.Sleep(200 * time.Millisecond) // the last runs' children are being reaped
	for _, pid := range pids() {
		if ownerOf(pid) != os.Getuid() || isZombie(pid) || pid == os.Getpid() {
			continue
		}
		cmd := cmdline(pid)
		if !strings.Contains(cmd, e.home) && !strings.Contains(environ(pid), e.home) {
			continue
		}
		// The holder, its idle pre-started rrun (with their spare pasta)
		// and the warm plugins stay by design; a spare dropped as its
		// process exited is dying; anything else is a leak.
		spare := isSpare(cmd) || (spareOrDropped(cmd) && exiting(pid))
		if !strings.Contains(cmd, "__holder") && !strings.Contains(cmd, "__plugin") && !strings.Contains(cmd, "__prefork") && !spare {
			e.t.Fatalf("process %d left: %s", pid, cmd)
		}
	}
}

// As rrun-nosub (no subuid range): the holder uses the single-uid map and
// every joined run says the mapping's warning once.
func TestNoSubuidHolder(t *testing.T) {
	e := withBusybox(t)
	e.warmRun("true")
	r, joined := e.warmRun("cat", "/proc/self/uid_map")
	if !joined || r.code != 0 {
		t.Fatalf("warm run (joined %v): %s", joined, r)
	}
	if strings.Join(strings.Fields(r.stdout), " ") != fmt.Sprintf("0 %d 1", os.Getuid()) && strings.Contains(r.stderr, "no subordinate") {
		t.Fatalf("single-uid map expected: %s", r)
	}
	if n := strings.Count(r.stderr, "rrun: warning:"); strings.Contains(r.stderr, "no subordinate") && n != 1 {
		t.Fatalf("want the mapping warning once: %s", r)
	}
	id := strings.TrimSpace(e.ok("run", "-d", "--network", "none", "busybox", "sleep", "600").stdout)
	e.killHolder()
	if ps := e.ok("ps", "--format", "{{.Status}}").stdout; !strings.HasPrefix(ps, "Up") {
		t.Fatalf("after the holder was killed, ps says %q", ps)
	}
	e.ok("rm", "-f", id)
}

// warmPIDs are the pids of the warm plugins recorded in the run dir.
func (e *env) warmPIDs() map[string]int {
	out := map[string]int{}
	dirs, _ := filepath.Glob(filepath.Join(e.home, "run", "rrun", "plugins", "warm", "*"))
	for _, d := range dirs {
		data, err := os.ReadFile(filepath.Join(d, "warm.json"))
		if err != nil {
			continue
		}
		var rec struct{ PID int }
		if json.Unmarshal(data, &rec) == nil && rec.PID > 0 && ownerOf(rec.PID) == os.Getuid() && !isZombie(rec.PID) {
			out[filepath.Base(d)] = rec.PID
		}
	}
	return out
}

// A later warm run reattaches to the plugins the first one started; info
// lists them.
func TestWarmPluginsServeLaterRuns(t *testing.T) {
	e := withBusybox(t)
	e.warmRun("true")
	first := e.warmPIDs()
	if len(first) != 2 {
		t.Fatalf("want the storage and isolation plugins warm, got %v", first)
	}
	r, _ := e.warmRun("echo", "second")
	if r.stdout != "second\n" {
		t.Fatalf("second run: %s", r)
	}
	if now := e.warmPIDs(); fmt.Sprint(now) != fmt.Sprint(first) {
		t.Fatalf("the second run did not reuse the warm plugins: %v, then %v", first, now)
	}
	info := e.ok("info").stdout
	if !strings.Contains(info, fmt.Sprintf("storage/overlay (pid %d)", e.warmPIDOf("-s-overlay"))) {
		t.Fatalf("info does not list the warm plugins: %s", info)
	}
}

// kill -9 of both warm plugins leaves a detached container running; ps
// stays true and the next run starts new plugins. (A detached container's
// own isolation plugin is gone once rrun-monitor owns it: the warm one is
// a foreground run's.)
func TestWarmPluginsKilledDetachedContainerLivesOn(t *testing.T) {
	e := withBusybox(t)
	e.warmRun("true")
	id := strings.TrimSpace(e.ok("run", "-d", "--network", "none", "busybox", "sleep", "600").stdout)
	t.Cleanup(func() { e.run("", "rm", "-f", id) })
	old := e.warmPIDs()
	if len(old) != 2 {
		t.Fatalf("want two warm plugins, got %v", old)
	}
	for _, pid := range old {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	time.Sleep(200 * time.Millisecond)
	if ps := e.ok("ps", "--format", "{{.Status}}").stdout; !strings.HasPrefix(ps, "Up") {
		t.Fatalf("after the warm plugins were killed, ps says %q", ps)
	}
	if left := findDescendantOrZero(1, "sleep 600", os.Getuid()); left == 0 {
		t.Fatal("the container died with its plugins")
	}
	if r, _ := e.warmRun("echo", "next"); r.stdout != "next\n" {
		t.Fatalf("the next run: %s", r)
	}
	if now := e.warmPIDs(); len(now) != 2 || e.warmPIDOf("-s-overlay") == old[pidKey(old, "-s-overlay")] {
		t.Fatalf("no new warm plugins: %v, then %v", old, now)
	}
	e.ok("rm", "-f", id)
}

// With a short idle timeout the holder and the warm plugins go away by
// themselves; with 0 there is neither (a session per command, as before).
func TestHolderIdleTimeout(t *testing.T) {
	e := withBusybox(t)
	e.vars = append(e.vars, "RRUN_SESSION_IDLE_TIMEOUT=1s")
	e.warmRun("true")
	holder, warm := e.holderPID(), e.warmPIDs()
	if holder == 0 || len(warm) != 2 {
		t.Fatalf("want a holder and two warm plugins, got %d %v", holder, warm)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && (len(e.warmPIDs()) > 0 || (ownerOf(holder) == os.Getuid() && !isZombie(holder))) {
		time.Sleep(200 * time.Millisecond)
	}
	if w := e.warmPIDs(); len(w) > 0 || (ownerOf(holder) == os.Getuid() && !isZombie(holder)) {
		t.Fatalf("still up after the idle timeout: holder %d, plugins %v", holder, w)
	}
	e.vars[len(e.vars)-1] = "RRUN_SESSION_IDLE_TIMEOUT=0"
	os.Remove(filepath.Join(e.home, "run", "rrun", "holder"))
	if r, joined := e.warmRun("echo", "cold"); r.stdout != "cold\n" || joined || e.holderPID() != 0 || len(e.warmPIDs()) > 0 {
		t.Fatalf("idle_timeout 0 still used a holder (joined %v, holder %d): %s", joined, e.holderPID(), r)
	}
}

// warmPIDOf is the pid of the warm plugin whose dir ends with suffix.
func (e *env) warmPIDOf(suffix string) int {
	m := e.warmPIDs()
	return m[pidKey(m, suffix)]
}

func pidKey(m map[string]int, suffix string) string {
	for k := range m {
		if strings.HasSuffix(k, suffix) {
			return k
		}
	}
	return ""
}

// A joined run checks external plugins as the cold path does: a plugin
// file others can write is refused.
func TestHolderRefusesInsecurePlugin(t *testing.T) {
	e := withBusybox(t)
	e.warmRun("true")
	installBad(t, e, "", 0o777)
	e.vars = append(e.vars, "RRUN_TRACE=1")
	r := e.run("", "--storage", "bad", "run", "--rm", "--network", "none", "busybox", "true")
	if !warmTrace(r.stderr) || !strings.Contains(r.stderr, "writable by group or others") || r.code != 125 {
		t.Fatalf("want a joined run to refuse the plugin: %s", r)
	}
}

// warmTrace reports whether a traced command ran in the holder's
// namespaces: joined, or served by one of its pre-started processes.
func warmTrace(stderr string) bool {
	return strings.Contains(stderr, " joined (setns took") || strings.Contains(stderr, " served by pre-started ")
}

// stderrOf is what a failed exec.Cmd.Output printed on stderr.
func stderrOf(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(ee.Stderr)
	}
	return ""
}

// `system migrate` right after a `run --rm` waits for that run's removal,
// which goes on after its exit code with the warm plugins that migrate
// stops: the run says nothing more and leaves nothing.
func TestMigrateRightAfterRunRmWaitsForItsRemoval(t *testing.T) {
	e := withBusybox(t)
	for i := 0; i < 5; i++ {
		e.ok("run", "--rm", "busybox", "true") // the holder, the warm plugins, pasta's spare network
		stderr, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
		if err != nil {
			t.Fatal(err)
		}
		// Its stderr is a file: the run's exit is not held up by the
		// removal, which writes its warnings there after the exit code.
		argv := append(append([]string(nil), e.prefix...), rrunBin, "run", "--rm", "busybox", "true")
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Env, cmd.Stderr = e.vars, stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("run --rm: %v", err)
		}
		e.ok("system", "migrate")
		time.Sleep(300 * time.Millisecond) // a warning of a failed removal lands
		if b, _ := os.ReadFile(stderr.Name()); len(b) != 0 {
			t.Fatalf("run --rm followed by system migrate said: %s", b)
		}
		stderr.Close()
		if ps := e.ok("ps", "-a", "-q").stdout; ps != "" {
			t.Fatalf("records left: %q", ps)
		}
	}
}
