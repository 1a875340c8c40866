package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/host/proc"
)

// Tests of the pre-started pool of the session holder ("Pre-started
// commands" in docs/internal.md): a warm run handed to a process that
// already started is indistinguishable from one that started itself.

// waitPool starts the holder (one warm run) and waits until one of its
// pre-started processes listens.
func (e *env) waitPool() {
	e.t.Helper()
	if r, _ := e.warmRun("true"); r.code != 0 {
		e.t.Fatalf("warm run: %s", r)
	}
	dir := filepath.Join(e.home, "run", "rrun", "prefork")
	for i := 0; i < 600; i++ {
		if m, _ := filepath.Glob(filepath.Join(dir, "*.sock")); len(m) > 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.t.Fatalf("no pre-started rrun listens in %s", dir)
}

var servedRe = regexp.MustCompile(`served by pre-started rrun (\d+) `)

// servedBy is the pid of the pool process a traced command was served by
// (0: it started itself).
func servedBy(stderr string) int {
	m := servedRe.FindStringSubmatch(stderr)
	if m == nil {
		return 0
	}
	pid, _ := strconv.Atoi(m[1])
	return pid
}

// tracedCmd is `rrun ARGS` with RRUN_TRACE=1 in dir.
func (e *env) tracedCmd(dir string, args ...string) *exec.Cmd {
	cmd := exec.Command(rrunBin, args...)
	cmd.Env = append(append([]string(nil), e.vars...), "RRUN_TRACE=1")
	cmd.Dir = dir
	return cmd
}

// startReading starts cmd with its stderr kept and returns a reader of its
// stdout.
func startReading(t *testing.T, cmd *exec.Cmd) (*bufio.Reader, *bytes.Buffer) {
	t.Helper()
	errb := &bytes.Buffer{}
	cmd.Stderr = errb
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return bufio.NewReader(stdout), errb
}

// untraced drops the trace lines from stderr.
func untraced(stderr string) string {
	var kept []string
	for _, l := range strings.Split(stderr, "\n") {
		if !strings.HasPrefix(l, "rrun trace:") && l != "" {
			kept = append(kept, l)
		}
	}
	return strings.Join(kept, "\n")
}

// A served run returns the container's exit code, passes stdin, stdout and
// stderr through and sees the client's environment (-e NAME takes the
// caller's value), exactly as a run that started itself.
func TestPreforkServedRunBehavesLikeCold(t *testing.T) {
	e := withBusybox(t)
	script := `read line; echo "out:$line:$FROM_CALLER"; echo err >&2; id -u; exit 3`
	args := []string{"run", "--rm", "-i", "--network", "none", "-e", "FROM_CALLER", "busybox", "sh", "-c", script}
	runIt := func(extra ...string) (result, int) {
		cmd := e.tracedCmd("", args...)
		cmd.Env = append(append(cmd.Env, "FROM_CALLER=caller-value"), extra...)
		cmd.Stdin = strings.NewReader("typed\n")
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return result{stdout: out.String(), stderr: untraced(errb.String()), code: code}, servedBy(errb.String())
	}
	e.waitPool()
	cold, coldServed := runIt("RRUN_PREFORK=0") // the pool is there, but not for this command
	if coldServed != 0 {
		t.Fatalf("RRUN_PREFORK=0 was served by %d", coldServed)
	}
	warm, pid := runIt()
	if pid == 0 {
		t.Fatalf("the run was not served by a pre-started rrun: %s", warm)
	}
	if warm.code != 3 || warm.stdout != cold.stdout || warm.stderr != cold.stderr || !strings.HasPrefix(warm.stdout, "out:typed:caller-value\n") {
		t.Fatalf("served run differs from one that started itself:\n%s\nunserved:\n%s", warm, cold)
	}
}

// A served run resolves relative paths (-v .:/w, --env-file) against the
// caller's working directory and creates files with the caller's umask.
func TestPreforkServedRunUsesCallersDirectory(t *testing.T) {
	e := withBusybox(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "hello.txt"), []byte("from-cwd\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "vars.env"), []byte("FROM_FILE=file-value\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.waitPool()
	cmd := e.tracedCmd(dir, "run", "--rm", "--network", "none", "-v", ".:/w", "--env-file", "vars.env", "busybox",
		"sh", "-c", "cat /w/hello.txt; echo $FROM_FILE")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	out, err := cmd.Output()
	if err != nil || string(out) != "from-cwd\nfile-value\n" {
		t.Fatalf("run in %s: %v\nstdout:\n%s\nstderr:\n%s", dir, err, out, errb.String())
	}
	if servedBy(errb.String()) == 0 {
		t.Fatalf("not served by a pre-started rrun:\n%s", errb.String())
	}
}

// A signal sent to the client reaches the container (docker run without
// -d forwards it), and the container's exit status comes back.
func TestPreforkSignalToClientReachesContainer(t *testing.T) {
	e := withBusybox(t)
	e.waitPool()
	cmd := e.tracedCmd("", "run", "--rm", "--network", "none", "busybox", "sh", "-c",
		`trap 'echo got-term; exit 7' TERM; echo ready; while :; do sleep 0.1; done`)
	rd, errb := startReading(t, cmd)
	if line, _ := rd.ReadString('\n'); line != "ready\n" {
		_ = cmd.Process.Kill()
		t.Fatalf("container did not start: %q\n%s", line, errb.String())
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	rest, _ := rd.ReadString('\n')
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 7 || rest != "got-term\n" {
		t.Fatalf("after SIGTERM: %v, %q\n%s", err, rest, errb.String())
	}
	if servedBy(errb.String()) == 0 {
		t.Fatalf("not served by a pre-started rrun:\n%s", errb.String())
	}
}

// `run -it` through a pool process: the container gets a terminal of the
// user's size that follows SIGWINCH, typed input arrives, and the user's
// terminal is back in its normal mode afterwards.
func TestPreforkTTYFollowsTheUsersTerminal(t *testing.T) {
	e := withBusybox(t)
	e.waitPool()
	vars := e.vars
	e.vars = append(append([]string(nil), e.vars...), "RRUN_TRACE=1")
	cmd, master := startOnPty(t, e, "run", "--rm", "-it", "--network", "none", "busybox", "sh", "-c",
		`stty size; echo ready; read line; stty size; echo got:$line`)
	e.vars = vars
	out := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(master)
		for sc.Scan() {
			out <- strings.TrimRight(sc.Text(), "\r")
		}
		close(out)
	}()
	var seen []string
	expect := func(want string) {
		t.Helper()
		deadline := time.After(30 * time.Second)
		for {
			select {
			case l, ok := <-out:
				if !ok {
					t.Fatalf("output ended before %q: %q", want, seen)
				}
				seen = append(seen, l)
				if strings.Contains(l, want) {
					return
				}
			case <-deadline:
				t.Fatalf("no %q in %q", want, seen)
			}
		}
	}
	expect("served by pre-started rrun")
	expect("30 100")
	expect("ready")
	_ = unix.IoctlSetWinsize(int(master.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 40, Col: 120})
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGWINCH)
	time.Sleep(300 * time.Millisecond)
	if _, err := master.Write([]byte("typed\r")); err != nil {
		t.Fatal(err)
	}
	expect("40 120")
	expect("got:typed")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("rrun run -it: %v (%q)", err, seen)
	}
	tio, err := unix.IoctlGetTermios(int(master.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if tio.Lflag&unix.ICANON == 0 || tio.Lflag&unix.ECHO == 0 {
		t.Fatalf("the terminal was left in raw mode (lflag %#x)", tio.Lflag)
	}
}

// --preserve-fds passes the caller's fds 3.. to the container through a
// pool process too.
func TestPreforkPreserveFds(t *testing.T) {
	e := withBusybox(t)
	f, err := os.CreateTemp(t.TempDir(), "fd3")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("through-fd-3\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Seek(0, 0); err != nil {
		t.Fatal(err)
	}
	e.waitPool()
	cmd := e.tracedCmd("", "run", "--rm", "--network", "none", "--preserve-fds", "1", "busybox", "cat", "/proc/self/fd/3")
	cmd.ExtraFiles = []*os.File{f}
	var errb bytes.Buffer
	cmd.Stderr = &errb
	out, err := cmd.Output()
	if err != nil || string(out) != "through-fd-3\n" || servedBy(errb.String()) == 0 {
		t.Fatalf("--preserve-fds 1: %v %q\n%s", err, out, errb.String())
	}
}

// A pool of another binary (an upgrade replaced rrun) is never used: the
// new binary replaces the holder, and the old pool goes with it.
func TestPreforkStalePoolOfAnotherBinaryIsNotUsed(t *testing.T) {
	e := withBusybox(t)
	e.waitPool()
	var oldPool []int
	for _, pid := range pids() {
		if ownerOf(pid) == os.Getuid() && strings.Contains(cmdline(pid), "__prefork "+filepath.Join(e.home, "run")) {
			oldPool = append(oldPool, pid)
		}
	}
	if len(oldPool) == 0 {
		t.Fatal("no pool process found")
	}
	other := filepath.Join(e.home, "rrun-other")
	for _, name := range []string{"rrun", "rrun-nsinit"} {
		data, err := os.ReadFile(filepath.Join(filepath.Dir(rrunBin), name))
		if err != nil {
			t.Fatal(err)
		}
		dst := other
		if name != "rrun" {
			dst = filepath.Join(e.home, name)
		}
		if err := os.WriteFile(dst, data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(other, "run", "--rm", "--network", "none", "busybox", "echo", "other")
	cmd.Env = append(append([]string(nil), e.vars...), "RRUN_TRACE=1")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	out, err := cmd.Output()
	if err != nil || string(out) != "other\n" {
		t.Fatalf("run from another binary: %v %s\n%s", err, out, errb.String())
	}
	if pid := servedBy(errb.String()); slices.Contains(oldPool, pid) {
		t.Fatalf("another binary's command was served by the old pool process %d", pid)
	} // by the new holder's pool (ready first on a loaded machine): fine
	time.Sleep(300 * time.Millisecond)
	for _, pid := range oldPool {
		if ownerOf(pid) == os.Getuid() && !isZombie(pid) && strings.Contains(cmdline(pid), "__prefork") {
			t.Fatalf("the old pool process %d outlived its holder", pid)
		}
	}
}

// kill -9 of the process serving a run: the client says so in one line
// and exits 125, and the next run works.
func TestPreforkKilledServerEndsClientWith125(t *testing.T) {
	e := withBusybox(t)
	e.waitPool()
	cmd := e.tracedCmd("", "run", "--rm", "--network", "none", "busybox", "sh", "-c", "echo ready; sleep 6062")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); line != "ready\n" {
		_ = cmd.Process.Kill()
		t.Fatalf("container did not start: %q\n%s", line, errb.String())
	}
	pid := servedBy(errb.String())
	if pid == 0 {
		_ = cmd.Process.Kill()
		t.Fatalf("not served by a pre-started rrun:\n%s", errb.String())
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 125 || !strings.Contains(errb.String(), "died before it finished") {
		t.Fatalf("client after its server was killed: %v\n%s", err, errb.String())
	}
	if r, _ := e.warmRun("echo", "next"); r.code != 0 || r.stdout != "next\n" {
		t.Fatalf("the next run: %s", r)
	}
	if left := findDescendantOrZero(1, "sleep 6062", os.Getuid()); left != 0 {
		t.Fatalf("the container's process %d outlived its killed command and the next one", left)
	}
}

// `exec` is served by a pool process too: exit code, stdin, stdout and
// stderr as before.
func TestPreforkServedExec(t *testing.T) {
	e := withBusybox(t)
	id := e.detached("--network", "none", "busybox", "sh", "-c", "echo ready; while true; do sleep 0.1; done")
	e.waitLog(id, "ready")
	e.waitPool()
	cmd := e.tracedCmd("", "exec", "-i", id, "sh", "-c", "read l; echo out:$l; echo err >&2; exit 4")
	cmd.Stdin = strings.NewReader("typed\n")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 4 || string(out) != "out:typed\n" || untraced(errb.String()) != "err" {
		t.Fatalf("exec: %v %q\n%s", err, out, errb.String())
	}
	if servedBy(errb.String()) == 0 {
		t.Fatalf("exec not served by a pre-started rrun:\n%s", errb.String())
	}
}

// A warm `run -d` hands its container's monitor to a pre-started rrun of
// the holder instead of starting the binary again: the monitor (then
// rrun-monitor, after the hand-off) is the holder's child, outlives the
// holder's kill -9, and records the exit and removes the container as
// before.
func TestPreforkServedDetachedMonitor(t *testing.T) {
	e := withBusybox(t)
	e.waitPool()
	dir := filepath.Join(e.home, "run", "rrun", "prefork")
	for i := 0; i < 600; i++ { // the run takes one pool process, its monitor another
		if m, _ := filepath.Glob(filepath.Join(dir, "*.sock")); len(m) >= 2 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	cmd := e.tracedCmd(e.home, "run", "-d", "--network", "none", "busybox", "sleep", "600")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("run -d: %v: %s", err, stderr.String())
	}
	id := strings.TrimSpace(stdout.String())
	t.Cleanup(func() { e.run("", "rm", "-f", id) })
	m := regexp.MustCompile(`monitor served by pre-started rrun (\d+)`).FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatalf("the monitor was not handed to a pre-started rrun:\n%s", stderr.String())
	}
	served, _ := strconv.Atoi(m[1])
	holder := e.holderPID()
	deadline := time.Now().Add(10 * time.Second)
	mon := livePIDsOf("rrun-monitor " + id)
	for len(mon) != 1 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		mon = livePIDsOf("rrun-monitor " + id)
	}
	if len(mon) != 1 || mon[0] != served {
		t.Fatalf("rrun-monitor of %s: %v, want the pre-started rrun %d that took the monitor", id, mon, served)
	}
	if f := statFields(served); len(f) < 2 || f[1] != strconv.Itoa(holder) {
		t.Fatalf("the served monitor %d is not the holder's (%d) child: stat %v", served, holder, f)
	}
	e.killHolder()
	if r := e.ok("exec", id, "echo", "alive"); strings.TrimSpace(r.stdout) != "alive" {
		t.Fatalf("exec after the holder's kill -9: %s", r)
	}
	e.ok("stop", "-t", "1", id)
	if r := e.ok("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", id); strings.TrimSpace(r.stdout) != "exited 137" {
		t.Fatalf("after stop: %s", r)
	}
	e.ok("rm", id)
}

var servedNthRe = regexp.MustCompile(`served by pre-started rrun (\d+) of holder \d+ \(its command (\d+)\)`)

// A pre-started process serves again after a foreground run, and the next
// command finds nothing of the last one's: not its environment (-e NAME
// takes this caller's value only), working directory, umask (a missing
// -v source is made with the caller's) or ignored signals (SIGINT).
func TestPreforkReusedProcessStartsClean(t *testing.T) {
	e := withBusybox(t)
	e.waitPool()
	dirs := [2]string{t.TempDir(), t.TempDir()}
	for i, d := range dirs {
		if err := os.WriteFile(filepath.Join(d, "mark"), []byte(fmt.Sprintf("dir%d\n", i)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	served := map[int]int{} // pool process: commands seen served by it
	note := func(stderr string) {
		m := servedNthRe.FindStringSubmatch(stderr)
		if m == nil {
			t.Fatalf("not served by a pre-started rrun:\n%s", stderr)
		}
		pid, _ := strconv.Atoi(m[1])
		served[pid]++
	}
	// The first kind, from a shell that ignores SIGINT, with umask 077 and
	// LEAK_ME set, in dirs[0].
	first := func() {
		cmd := e.tracedCmd(dirs[0], "")
		cmd.Path = "/bin/sh"
		cmd.Args = []string{"sh", "-c", `trap '' INT; umask 077; exec "$@"`, "sh", rrunBin, "run", "--rm", "--network", "none",
			"-v", ".:/w", "-v", "./made-first:/m", "-e", "LEAK_ME", "busybox", "sh", "-c", "cat /w/mark; echo [$LEAK_ME]"}
		cmd.Env = append(cmd.Env, "LEAK_ME=first")
		var errb bytes.Buffer
		cmd.Stderr = &errb
		if out, err := cmd.Output(); err != nil || string(out) != "dir0\n[first]\n" {
			t.Fatalf("first run: %v %q\n%s", err, out, errb.String())
		}
		note(errb.String())
	}
	// The second kind, in dirs[1], stopped by SIGINT.
	second := func(i int) {
		made := fmt.Sprintf("./made-%d", i)
		cmd := e.tracedCmd(dirs[1], "run", "--rm", "--network", "none", "-v", ".:/w", "-v", made+":/m", "-e", "LEAK_ME", "busybox",
			"sh", "-c", `cat /w/mark; echo [$LEAK_ME]; trap 'echo got-int; exit 9' INT; echo ready; while :; do sleep 0.1; done`)
		rd, errb := startReading(t, cmd)
		var got string
		for !strings.HasSuffix(got, "ready\n") {
			line, err := rd.ReadString('\n')
			got += line
			if err != nil {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
				t.Fatalf("second run %d: %q\n%s", i, got, errb.String())
			}
		}
		_ = cmd.Process.Signal(syscall.SIGINT)
		rest, _ := io.ReadAll(rd)
		err := cmd.Wait()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 9 || got+string(rest) != "dir1\n[]\nready\ngot-int\n" {
			t.Fatalf("second run %d: %v %q\n%s", i, err, got+string(rest), errb.String())
		}
		if st, err := os.Stat(filepath.Join(dirs[1], made)); err != nil || st.Mode().Perm() != 0o755 {
			t.Fatalf("second run %d made its -v source with the mode %v (%v), not the caller's umask's", i, st.Mode(), err)
		}
		note(errb.String())
	}
	for i := 0; i < 4; i++ {
		first()
		second(i)
	}
	if st, err := os.Stat(filepath.Join(dirs[0], "made-first")); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("the first runs made their -v source with the mode %v (%v), not umask 077's", st.Mode(), err)
	}
	reused := false
	for _, n := range served {
		reused = reused || n > 1
	}
	if !reused {
		t.Fatalf("no pre-started rrun served twice in 8 runs: %v", served)
	}
}

// A pre-started process that serves run after run keeps its connections
// to the warm plugins between them instead of making new ones, and lets
// go of them when no run comes: the plugins still exit idle while the
// holder stays up, and the next run starts them again.
func TestPreforkReusedProcessKeepsPluginConnections(t *testing.T) {
	e := withBusybox(t)
	e.vars = append(e.vars, "RRUN_SESSION_IDLE_TIMEOUT=2s")
	e.waitPool()
	// This test's process pins the holder: only the plugins may go idle.
	pins := filepath.Join(e.home, "run", "rrun", "holder-pins")
	if err := os.MkdirAll(pins, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(pins, fmt.Sprintf("%d-%d", os.Getpid(), proc.Start(os.Getpid()))), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	kept := false
	for i := 0; i < 10 && !kept; i++ {
		cmd := e.tracedCmd("", "run", "--rm", "--network", "none", "busybox", "echo", "hi")
		var errb bytes.Buffer
		cmd.Stderr = &errb
		if out, err := cmd.Output(); err != nil || string(out) != "hi\n" {
			t.Fatalf("run %d: %v %q\n%s", i, err, out, errb.String())
		}
		kept = strings.Contains(errb.String(), "storage plugin connection kept") &&
			strings.Contains(errb.String(), "isolation plugin connection kept")
	}
	if !kept {
		t.Fatal("no run of ten took the plugin connections a pre-started rrun kept from its last run")
	}
	holder, warm := e.holderPID(), e.warmPIDs()
	if holder == 0 || len(warm) != 2 {
		t.Fatalf("want a holder and two warm plugins, got %d %v", holder, warm)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && len(e.warmPIDs()) > 0 {
		time.Sleep(200 * time.Millisecond)
	}
	if w := e.warmPIDs(); len(w) > 0 {
		t.Fatalf("the warm plugins %v did not exit idle while the pre-started processes kept connections", w)
	}
	if ownerOf(holder) != os.Getuid() || isZombie(holder) {
		t.Fatalf("the pinned holder %d went away", holder)
	}
	if r, _ := e.warmRun("echo", "again"); r.stdout != "again\n" || len(e.warmPIDs()) != 2 {
		t.Fatalf("the run after the plugins' idle exit: %s (warm %v)", r, e.warmPIDs())
	}
}
