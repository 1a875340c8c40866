package e2e

import (
	"bufio"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// pastasOf lists the pasta processes started for this test's home (their
// pid file is in its run dir) that still run: not killed and on their way
// out (a --rm run's pasta is reaped after the run returned), and not a
// pre-started process's spare that no container uses.
func (e *env) pastasOf() []int {
	var out []int
	for _, pid := range pids() {
		if c := cmdline(pid); strings.HasPrefix(c, "pasta ") && strings.Contains(c, e.home) && !exiting(pid) && !spareOrDropped(c) {
			out = append(out, pid)
		}
	}
	return out
}

// sparePastas lists the spare pastas of this test's home: made by a
// pre-started rrun for the next warm pasta run, used by no container yet.
func (e *env) sparePastas() []int {
	var out []int
	for _, pid := range pids() {
		if c := cmdline(pid); strings.HasPrefix(c, "pasta ") && strings.Contains(c, e.home) && !exiting(pid) && spareOrDropped(c) {
			out = append(out, pid)
		}
	}
	return out
}

// spareOrDropped says whether the pasta with command line c is a spare
// (isSpare) or one whose state dir is gone (a spare dropped as its
// process exits; a container's pasta keeps it until it is stopped).
func spareOrDropped(c string) bool {
	dir := pastaStateDir(c)
	if _, err := os.Stat(dir); dir != "" && err != nil {
		return true
	}
	return isSpare(c)
}

// isSpare says whether the pasta with command line c is a pre-started
// process's spare: its state dir (that of its --pid file) says so.
func isSpare(c string) bool {
	dir := pastaStateDir(c)
	if dir == "" {
		return false
	}
	_, err := os.Stat(filepath.Join(dir, "spare"))
	return err == nil
}

// pastaStateDir is the dir of the --pid file in pasta command line c.
func pastaStateDir(c string) string {
	f := strings.Fields(c)
	for i := 0; i+1 < len(f); i++ {
		if f[i] == "--pid" {
			return filepath.Dir(f[i+1])
		}
	}
	return ""
}

// After a warm pasta run, each pre-started rrun makes the next run's
// network ahead (a namespace with pasta configured on it); a warm pasta
// run without published TCP ports takes it, and its container has the
// network a fresh pasta gives; a run with a published port makes its own;
// after a --network none run no new spare is made.
func TestSparePastaNetwork(t *testing.T) {
	if _, err := exec.LookPath("pasta"); err != nil {
		t.Skip("pasta is not installed (test/setup-host.sh installs it)")
	}
	e := withBusybox(t)
	e.warmRun("true") // starts the holder
	if s := e.sparePastas(); len(s) != 0 {
		t.Fatalf("spare pastas %v before any pasta run", s)
	}
	// Each pre-started process makes its spare when it starts: one that
	// was idle before the first pasta run has none until a run takes it.
	spared := func() bool { n := e.idlePool(); return n > 0 && len(e.sparePastas()) == n }
	for i := 0; ; i++ {
		e.ok("run", "--rm", "--network", "pasta", "busybox", "true")
		if waitUntil(2*time.Second, spared) {
			break
		}
		if i == 5 {
			t.Fatalf("pre-started processes %d, spare pastas %v after pasta runs", e.idlePool(), e.sparePastas())
		}
	}

	traced := append(append([]string(nil), e.vars...), "RRUN_TRACE=1")
	saved := e.vars
	e.vars = traced
	r := e.run("", "run", "--rm", "busybox", "sh", "-c", "ip -4 addr show tap0; ip route; ip link show lo")
	e.vars = saved
	if r.code != 0 || !strings.Contains(r.stderr, "spare network taken") {
		t.Fatalf("the warm pasta run did not take the spare network: %s", r)
	}
	for _, want := range []string{"inet 10.0.2.100/24", "default via 10.0.2.2", "UP"} {
		if !strings.Contains(r.stdout, want) {
			t.Fatalf("no %q in the container on the spare network: %s", want, r)
		}
	}
	if p := e.waitNoPasta(); len(p) != 0 {
		t.Fatalf("pasta %v of the --rm run on the spare network still runs", p)
	}

	// A detached container's monitor (a pre-started process too) takes
	// its spare and hands the container, pasta with it, to rrun-monitor:
	// pasta must outlive that exec (it dies with the thread that started
	// it) and keep serving the container.
	waitFor(t, "a spare pasta in each pre-started process", spared)
	id := e.detached("busybox", "sleep", "600")
	onlySmallMonitor(t, id)
	time.Sleep(200 * time.Millisecond) // a pasta killed with the hand-off is gone by then
	if p := e.pastasOf(); len(p) != 1 {
		t.Fatalf("the detached container on a spare network has pastas %v after the hand-off", p)
	}
	if r := e.ok("exec", id, "ip", "-4", "addr", "show", "tap0"); !strings.Contains(r.stdout, "inet 10.0.2.100/24") {
		t.Fatalf("the detached container's network after the hand-off: %s", r)
	}
	e.ok("rm", "-f", id)

	e.vars = traced
	r = e.run("", "run", "--rm", "-p", "127.0.0.1::80", "busybox", "true")
	e.vars = saved
	if r.code != 0 || strings.Contains(r.stderr, "spare network taken") {
		t.Fatalf("a run publishing a port must start its own pasta: %s", r)
	}

	for range 4 { // every idle pre-started process is then one started after it
		e.ok("run", "--rm", "--network", "none", "busybox", "true")
	}
	waitFor(t, "no spare pasta after --network none runs", func() bool { return len(e.sparePastas()) == 0 })
}

// waitFor polls cond for ten seconds (a bound on something that never
// happens, not a timing assert).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	if !waitUntil(10*time.Second, cond) {
		t.Fatalf("timed out waiting for %s", what)
	}
}

// waitUntil polls cond for at most d and says whether it held.
func waitUntil(d time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(d); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			return false
		}
	}
	return true
}

// idlePool counts the pre-started processes of this test's holder that
// wait for a command (each listens on a socket of its own).
func (e *env) idlePool() int {
	m, _ := filepath.Glob(filepath.Join(e.home, "run", "rrun", "prefork", "*.sock"))
	return len(m)
}

// allHelpersOf lists every process of this test's home named pasta or
// slirp4netns, zombies and exiting ones included, but no live spare.
func (e *env) allHelpersOf() []int {
	var out []int
	for _, pid := range pids() {
		comm, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
		if name := strings.TrimSpace(string(comm)); name != "pasta" && name != "slirp4netns" {
			continue
		}
		// A zombie has no command line: its parent (the rrun process that
		// started it, whose run dir is in the home) tells whose it is.
		f := statFields(pid)
		ppid := 0
		if len(f) > 1 {
			ppid, _ = strconv.Atoi(f[1])
		}
		if isSpare(cmdline(pid)) {
			continue // a pre-started process's spare: no container's
		}
		if strings.Contains(cmdline(pid), e.home) || (ppid > 1 && strings.Contains(cmdline(ppid), e.home)) {
			out = append(out, pid)
		}
	}
	return out
}

// A run with a private network joins the session holder (no session of
// its own) and its container gets the private network a cold run gets; a
// kill -9 of a detached container's monitor ends its pasta with it, with no
// other rrun command.
func TestHolderWarmPrivateNetwork(t *testing.T) {
	e := withBusybox(t)
	e.warmRun("true") // starts the holder
	for _, mode := range privateModes(t) {
		saved := e.vars
		e.vars = append(append([]string(nil), e.vars...), "RRUN_TRACE=1")
		r := e.run("", "run", "--rm", "--network", mode, "busybox", "sh", "-c", "ip -4 addr show tap0; ip link show lo")
		e.vars = saved
		if r.code != 0 || !warmTrace(r.stderr) {
			t.Fatalf("%s: the run did not join the holder: %s", mode, r)
		}
		if !strings.Contains(r.stdout, "inet 10.0.2.100/24") || !strings.Contains(r.stdout, "UP") {
			t.Fatalf("%s: no tap0 at 10.0.2.100 or lo down: %s", mode, r)
		}
	}
	if len(e.pastasOf()) != 0 {
		t.Fatalf("pasta left running after --rm runs: %v", e.pastasOf())
	}
	// The helpers were killed at the containers' exit and are reaped just
	// after the runs returned: no zombie stays.
	deadline := time.Now().Add(10 * time.Second)
	for len(e.allHelpersOf()) != 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if h := e.allHelpersOf(); len(h) != 0 {
		t.Fatalf("network helpers of --rm runs not reaped: %v", h)
	}
	for _, mode := range privateModes(t) {
		if mode != "pasta" {
			continue
		}
		id := e.detached("--network", "pasta", "busybox", "sleep", "600")
		if len(e.pastasOf()) != 1 {
			t.Fatalf("a detached pasta container has pastas %v", e.pastasOf())
		}
		// The monitor is pasta's parent: rrun-monitor, rrun __monitor, or
		// (before a served run's monitor handed off) an rrun __prefork
		// whose command line does not name the container yet.
		// Its command line is empty while it execs rrun-monitor; the
		// parent is read again meanwhile (pasta is reparented when the
		// process that started it hands over).
		pasta, monitor := e.pastasOf()[0], 0
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if f := statFields(pasta); len(f) > 1 {
				monitor, _ = strconv.Atoi(f[1])
			}
			if cmdline(monitor) != "" {
				break
			}
		}
		if monitor <= 1 || !strings.Contains(cmdline(monitor), "rrun") {
			t.Fatalf("pasta %d's parent %d is not a monitor: %q", pasta, monitor, cmdline(monitor))
		}
		_ = syscall.Kill(monitor, syscall.SIGKILL)
		if p := e.waitNoPasta(); len(p) != 0 {
			t.Fatalf("pasta %v of a killed monitor still runs", p)
		}
		e.ok("rm", "-f", id)
	}
}

// waitNoPasta waits (10 s at most) until no pasta of this test runs and
// returns those that still do.
func (e *env) waitNoPasta() []int {
	deadline := time.Now().Add(10 * time.Second)
	for len(e.pastasOf()) != 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	return e.pastasOf()
}

// A container's pasta ends with it: after a foreground run ends, and when
// its CLI is killed with SIGKILL, with no other rrun command after it —
// on the warm path (the default) and on the cold one (RRUN_WARM_NETWORK=0).
func TestPastaEndsWithItsContainer(t *testing.T) {
	if _, err := exec.LookPath("pasta"); err != nil {
		t.Skip("pasta is not installed (test/setup-host.sh installs it)")
	}
	e := withBusybox(t)
	base := e.vars
	for _, warm := range []string{"1", "0"} {
		e.vars = append(append([]string(nil), base...), "RRUN_WARM_NETWORK="+warm)
		e.ok("run", "--rm", "--network", "pasta", "busybox", "true")
		if p := e.pastasOf(); len(p) != 0 {
			t.Fatalf("RRUN_WARM_NETWORK=%s: pasta %v still runs after its container ended", warm, p)
		}
		cmd := exec.Command(rrunBin, "run", "--rm", "--network", "pasta", "busybox", "sh", "-c", "echo started; sleep 6062")
		cmd.Env = e.vars
		stdout, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if line, _ := bufio.NewReader(stdout).ReadString('\n'); line != "started\n" {
			t.Fatalf("RRUN_WARM_NETWORK=%s: container did not start: %q", warm, line)
		}
		go io.Copy(io.Discard, stdout)
		if p := e.pastasOf(); len(p) != 1 {
			t.Fatalf("RRUN_WARM_NETWORK=%s: a running pasta container has pastas %v", warm, p)
		}
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if p := e.waitNoPasta(); len(p) != 0 {
			t.Fatalf("RRUN_WARM_NETWORK=%s: pasta %v outlived the CLI killed with SIGKILL", warm, p)
		}
		e.ok("ps", "-a") // reconciles the killed run's container
	}
}

// A host port a `run --rm -p` published is free again when the run
// returns (its helper is waited for, unlike one that publishes nothing), so
// a script can run the next container on it, or listen on it itself.
func TestRunRmPublishedPortFreeWhenItReturns(t *testing.T) {
	e := withBusybox(t)
	e.warmRun("true") // starts the holder: the runs below are served warm
	for _, mode := range privateModes(t) {
		port := freePort(t, "tcp")
		for i := range 2 {
			if r := e.run("", "run", "--rm", "--network", mode, "-p", strconv.Itoa(port)+":80", "busybox", "true"); r.code != 0 {
				t.Fatalf("%s: run %d on port %d: %s", mode, i+1, port, r)
			}
			ln, err := net.Listen("tcp", ":"+strconv.Itoa(port))
			if err != nil {
				t.Fatalf("%s: port %d still taken after run --rm returned: %v", mode, port, err)
			}
			ln.Close()
		}
	}
}
