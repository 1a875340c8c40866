package e2e

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rrun-project/rrun/plugins/testsuite/fixtures"
)

// The walking skeleton's promise: a busybox image loaded from a docker save
// archive runs rootless, as uid 0 of a user namespace that maps the user's
// subordinate range, with the image's environment and the command's status.
func TestRunBusyboxAsMappedRoot(t *testing.T) {
	e := withBusybox(t)
	r := e.run("", "run", "--rm", "busybox", "sh", "-c", "id -u; cat /proc/self/uid_map; echo $FOO; exit 3")
	if r.code != 3 {
		t.Fatalf("want exit 3: %s", r)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	wantLines := 3 // id, a one-line uid_map, FOO
	if fixtures.HasSubUIDs() {
		wantLines = 4 // the subordinate range is mapped too
	}
	if len(lines) != wantLines || lines[0] != "0" {
		t.Fatalf("want uid 0, a %d-line uid_map and FOO: %s", wantLines-2, r)
	}
	first := strings.Fields(lines[1])
	if len(first) != 3 || first[0] != "0" || first[1] != fmt.Sprint(os.Getuid()) || first[2] != "1" {
		t.Fatalf("uid_map must map container root to uid %d: %q", os.Getuid(), lines[1])
	}
	if got := lines[len(lines)-1]; got != "from-image" {
		t.Fatalf("want the image's FOO=from-image, got %q", got)
	}
	if r.stderr != "" {
		t.Fatalf("a clean run prints nothing on stderr: %q", r.stderr)
	}
}

func TestCommandIsPidOneAndSeesNoHostProcess(t *testing.T) {
	e := withBusybox(t)
	r := e.ok("run", "--rm", "busybox", "sh", "-c", "echo self=$$; ps -o pid,comm; true")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if lines[0] != "self=1" {
		t.Fatalf("the command must be pid 1: %s", r)
	}
	procs := lines[2:] // skip self= and the ps header
	if len(procs) != 2 || !strings.HasSuffix(procs[0], "sh") || !strings.HasSuffix(procs[1], "ps") {
		t.Fatalf("want exactly sh (1) and ps, no host process: %s", r)
	}
}

func TestEnvFlagsOverrideImageEnv(t *testing.T) {
	e := withBusybox(t)
	r := e.ok("run", "--rm", "-e", "FOO=from-flag", "-e", "BAR=2", "busybox", "sh", "-c", "echo $FOO $BAR; echo $PATH")
	want := "from-flag 2\n/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"
	if r.stdout != want {
		t.Fatalf("want %q, got %s", want, r)
	}
}

func TestHostnameIsShortContainerID(t *testing.T) {
	e := withBusybox(t)
	r := e.ok("run", "--rm", "busybox", "sh", "-c", "hostname; echo $HOSTNAME")
	lines := strings.Fields(r.stdout)
	if len(lines) != 2 || len(lines[0]) != 12 || lines[0] != lines[1] || lines[0] == must(os.Hostname()) {
		t.Fatalf("want a 12-char hostname, the same in $HOSTNAME, not the host's: %s", r)
	}
}

func TestStdoutAndStderrStayApart(t *testing.T) {
	e := withBusybox(t)
	r := e.ok("run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2; echo out2")
	if r.stdout != "out\nout2\n" || r.stderr != "err\n" {
		t.Fatalf("stdout and stderr mixed: %s", r)
	}
}

func TestStdinOnlyWithInteractive(t *testing.T) {
	e := withBusybox(t)
	r := e.run("piped\n", "run", "--rm", "-i", "busybox", "cat")
	if r.code != 0 || r.stdout != "piped\n" {
		t.Fatalf("-i must attach stdin: %s", r)
	}
	r = e.run("piped\n", "run", "--rm", "busybox", "cat")
	if r.code != 0 || r.stdout != "" {
		t.Fatalf("without -i stdin is /dev/null, as docker: %s", r)
	}
}

func TestLargeOutputIsIntact(t *testing.T) {
	e := withBusybox(t)
	r := e.ok("run", "--rm", "busybox", "sh", "-c", "yes 0123456789abcdef | head -c 20000000")
	if len(r.stdout) != 20000000 || !strings.HasPrefix(r.stdout, "0123456789abcdef\n0123") {
		t.Fatalf("want 20 MB of output, got %d bytes", len(r.stdout))
	}
}

func TestExitCodesFollowDocker(t *testing.T) {
	e := withBusybox(t)
	cases := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"command's own", []string{"sh", "-c", "exit 42"}, 42, ""},
		{"not found", []string{"no-such-command"}, 127, "no-such-command"},
		{"not executable", []string{"/etc/passwd"}, 126, "/etc/passwd"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.run("", append([]string{"run", "--rm", "busybox"}, c.args...)...)
			if r.code != c.code || !strings.Contains(r.stderr, c.stderr) {
				t.Fatalf("want exit %d and %q on stderr: %s", c.code, c.stderr, r)
			}
		})
	}
}

// startRun starts `rrun run --rm ARGS`, waits for the container to print
// "ready", and returns its pid and a function that waits for the end and
// gives the exit code and the rest of stdout.
func startRun(t *testing.T, e *env, args ...string) (int, func() (int, string)) {
	t.Helper()
	cmd := exec.Command(rrunBin, append([]string{"run", "--rm"}, args...)...)
	cmd.Env = e.vars
	pipe, _ := cmd.StdoutPipe()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	rd := bufio.NewReader(pipe)
	if line, _ := rd.ReadString('\n'); line != "ready\n" {
		t.Fatalf("container did not start: %q %s", line, stderr.String())
	}
	rest := make(chan string, 1)
	go func() { b, _ := io.ReadAll(rd); rest <- string(b) }()
	return cmd.Process.Pid, func() (int, string) {
		select {
		case out := <-rest:
			_ = cmd.Wait()
			return cmd.ProcessState.ExitCode(), out
		case <-time.After(hangGuard):
			t.Fatalf("rrun run did not end (a lost signal or exit?); stderr: %s\nprocesses of this test:\n%s",
				stderr.String(), processesOf(e.home))
		}
		return 0, ""
	}
}

// hangGuard bounds a wait that only a bug makes long: the test then fails
// with what was running instead of hanging the whole package.
const hangGuard = 3 * time.Minute

// processesOf lists the processes whose environment names dir, with their
// state, parent and kernel wait channel.
func processesOf(dir string) string {
	var out strings.Builder
	for _, pid := range pids() {
		if !strings.Contains(environ(pid), dir) {
			continue
		}
		f := append(statFields(pid), "?", "?")
		wchan, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/wchan")
		fmt.Fprintf(&out, "  %d %s ppid %s [%s] %s\n", pid, f[0], f[1], wchan, cmdline(pid))
	}
	return out.String()
}

// A container's pid 1 killed by signal N ends rrun with 128+N. From inside,
// pid 1 cannot be killed (the kernel protects a namespace's init), so the
// test kills it from outside, as an OOM killer or `kill -9` on the host would.
func TestContainerKilledBySignalExits128PlusN(t *testing.T) {
	e := withBusybox(t)
	pid, wait := startRun(t, e, "busybox", "sh", "-c", "echo ready; sleep 60; true")
	init := findDescendant(t, pid, "sh -c echo ready; sleep 60")
	if err := syscall.Kill(init, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if code, _ := wait(); code != 137 {
		t.Fatalf("want exit 137, got %d", code)
	}
}

// SIGTERM, SIGINT, SIGHUP and SIGUSR1 sent to rrun reach the container, as
// docker forwards them.
func TestSignalsAreForwardedToTheContainer(t *testing.T) {
	e := withBusybox(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGUSR1} {
		script := fmt.Sprintf(`trap "echo got %d; exit 7" %d; echo ready; while true; do sleep 0.05; done`, sig, sig)
		pid, wait := startRun(t, e, "busybox", "sh", "-c", script)
		if err := syscall.Kill(pid, sig); err != nil {
			t.Fatal(err)
		}
		if code, out := wait(); code != 7 || !strings.Contains(out, fmt.Sprintf("got %d", sig)) {
			t.Fatalf("%v: want the trap's exit 7 and its line, got %d %q", sig, code, out)
		}
	}
}

// --init puts a small init at pid 1: the command is its child, a signal
// rrun forwards reaches the command even without a handler, and zombies
// are reaped.
func TestInitForwardsSignalsAndReaps(t *testing.T) {
	e := withBusybox(t)
	r := e.ok("run", "--rm", "--init", "busybox", "sh", "-c", "(sleep 0.1 &) ; sleep 0.3; ps -o pid,stat,comm; true")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) < 3 || !strings.HasSuffix(lines[1], "init") || !strings.Contains(lines[2], "sh") {
		t.Fatalf("pid 1 must be the init, the command its child: %s", r)
	}
	if strings.Contains(r.stdout, " Z ") {
		t.Fatalf("the orphaned sleep must have been reaped: %s", r)
	}
	pid, wait := startRun(t, e, "--init", "busybox", "sh", "-c", "echo ready; sleep 60")
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code, _ := wait(); code != 143 {
		t.Fatalf("SIGTERM through --init kills a command without a handler: want 143, got %d", code)
	}
}

// -v with a host file binds that file (docker's rule), it does not try to
// make a directory of it.
func TestVolumeOfAHostFile(t *testing.T) {
	e := withBusybox(t)
	f := e.home + "/config.txt"
	if err := os.WriteFile(f, []byte("from the host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := e.ok("run", "--rm", "-v", f+":/etc/app.conf:ro", "busybox", "cat", "/etc/app.conf"); r.stdout != "from the host\n" {
		t.Fatalf("-v FILE:PATH: %s", r)
	}
}

// A container starts with every signal at its default action, even when
// rrun was started with some ignored (nohup, a CI runner, trap "" HUP):
// otherwise its shell can neither die of them nor trap them, and a
// forwarded SIGHUP or SIGINT is lost (found as a hung CI run under nohup).
func TestContainerSignalsStartAtDefaultUnderNohup(t *testing.T) {
	e := withBusybox(t)
	for _, iso := range []string{"native", "oci"} {
		t.Run(iso, func(t *testing.T) {
			cmd := exec.Command("sh", "-c", `trap "" HUP INT QUIT; exec "$0" "$@"`, rrunBin,
				"--isolation", iso, "run", "--rm", "busybox", "sh", "-c",
				`grep -E "^Sig(Ign|Blk)" /proc/self/status; trap "echo trapped; exit 7" HUP; kill -HUP $$; sleep 5`)
			cmd.Env = e.vars
			out, err := cmd.CombinedOutput()
			if cmd.ProcessState.ExitCode() != 7 || !strings.Contains(string(out), "SigBlk:\t0000000000000000\n") ||
				!strings.Contains(string(out), "trapped\n") || callerIgnored(string(out)) {
				t.Fatalf("want HUP, INT and QUIT not ignored, nothing blocked, and the HUP trap (exit 7), got %v: %q", err, out)
			}
		})
	}
}

// callerIgnored reports whether the SigIgn line of a status file has HUP,
// INT or QUIT (the signals the test's caller ignored) set. Other bits are
// the runtime's business (glibc-based runtimes may leave signal 32).
func callerIgnored(status string) bool {
	for _, l := range strings.Split(status, "\n") {
		if v, ok := strings.CutPrefix(l, "SigIgn:\t"); ok {
			mask, err := strconv.ParseUint(v, 16, 64)
			return err != nil || mask&0x7 != 0
		}
	}
	return true
}
