package e2e

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestPluginsLsListsBuiltinsAndExample(t *testing.T) {
	e := newEnv(t)
	out := e.ok("plugins", "ls").stdout
	for _, want := range []string{"overlay", "vfs", "native", "oci", "rootfsdir"} {
		if !strings.Contains(out, want) {
			t.Fatalf("plugins ls lacks %s:\n%s", want, out)
		}
	}
	if !strings.Contains(out, filepath.Join(pluginDir, "rrun-storage-rootfsdir")) || !strings.Contains(out, "storage.rootfs") {
		t.Fatalf("plugins ls must show the example's path and capabilities:\n%s", out)
	}
	inspect := e.ok("plugins", "inspect", "isolation/native").stdout
	if !strings.Contains(inspect, `"api_versions": [`) || !strings.Contains(inspect, `"v1"`) {
		t.Fatalf("plugins inspect:\n%s", inspect)
	}
}

func TestExamplePluginRunsAContainer(t *testing.T) {
	e := newEnv(t)
	e.vars = append(e.vars, "RRUN_EXAMPLE_ROOTFS="+exampleRootfs)
	list := e.ok("--storage", "rootfsdir", "images").stdout
	if !strings.Contains(list, "example/rootfs") {
		t.Fatalf("the example plugin serves one image:\n%s", list)
	}
	r := e.ok("--storage", "rootfsdir", "run", "--rm", "example/rootfs", "sh", "-c", "echo from the example plugin; id -u")
	if r.stdout != "from the example plugin\n0\n" {
		t.Fatalf("run through the example plugin: %s", r)
	}
}

// installBad puts the test's misbehaving plugin on the plugin path as
// rrun-storage-bad with the given mode and file permissions.
func installBad(t *testing.T, e *env, mode string, perm os.FileMode) {
	dir := filepath.Join(e.home, "badplugins")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, "rrun-storage-bad")
	data := must(os.ReadFile(filepath.Join(workDir, "badplugin")))
	if err := os.WriteFile(dst, data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dst, perm); err != nil {
		t.Fatal(err)
	}
	e.vars = append(e.vars, "RRUN_PLUGIN_PATH="+dir+":"+pluginDir, "RRUN_BADPLUGIN_MODE="+mode)
}

func TestPluginRefusals(t *testing.T) {
	cases := []struct{ mode, want string }{
		{"api-v9", "speaks api versions [v9]"},
		{"wrong-kind", "says it is isolation/bad"},
		{"crash", "storage plugin bad"},
	}
	for _, c := range cases {
		t.Run(c.mode, func(t *testing.T) {
			e := newEnv(t)
			installBad(t, e, c.mode, 0o755)
			oneLine(t, e.run("", "--storage", "bad", "images"), c.want)
		})
	}
}

func TestPluginCrashDuringCallNamesPluginStatusAndStderr(t *testing.T) {
	e := newEnv(t)
	installBad(t, e, "crash", 0o755)
	r := e.run("", "--storage", "bad", "images")
	for _, want := range []string{"storage plugin bad", "died during ListImages", "exit status 2", "panic: badplugin: about to crash"} {
		if !strings.Contains(r.stderr, want) {
			t.Fatalf("want %q in the error: %s", want, r)
		}
	}
	if r.code != 125 {
		t.Fatalf("want 125: %s", r)
	}
}

func TestInsecurePluginFileIsRefused(t *testing.T) {
	e := newEnv(t)
	installBad(t, e, "", 0o777)
	oneLine(t, e.run("", "--storage", "bad", "images"), "writable by group or others")
}

func TestIsolationPluginKilledDuringRun(t *testing.T) {
	e := withBusybox(t)
	// sleep 77: a pattern no other test's container shares (the Slurm
	// tests' "sleep 600" run at the same time as the same user).
	cmd := exec.Command(rrunBin, "run", "--rm", "busybox", "sh", "-c", "echo started; sleep 77")
	cmd.Env = e.vars
	stdout, _ := cmd.StdoutPipe()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); line != "started\n" {
		t.Fatalf("container did not start: %q %s", line, stderr.String())
	}
	plugin := findDescendant(t, cmd.Process.Pid, "__plugin isolation native")
	if err := syscall.Kill(plugin, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, stdout)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("rrun did not end after its isolation plugin died; stderr: %s", stderr.String())
	}
	if code := cmd.ProcessState.ExitCode(); code != 125 {
		t.Fatalf("want exit 125, got %d; stderr: %s", code, stderr.String())
	}
	// The line names the plugin and the call: Wait, or Start when the
	// plugin died after it started the command but before it answered
	// (the command printed "started" by then; a loaded machine shows it).
	msg := stderr.String()
	if !strings.Contains(msg, "isolation plugin native") || !strings.Contains(msg, "died during Wait") && !strings.Contains(msg, "died during Start") {
		t.Fatalf("want the plugin and the call (Wait or Start) named in: %s", msg)
	}
	if r := e.ok("run", "--rm", "busybox", "echo", "next run works"); r.stdout != "next run works\n" {
		t.Fatalf("the next run: %s", r)
	}
	if left := findDescendantOrZero(1, "sleep 77", os.Getuid()); left != 0 {
		t.Fatalf("the container's process %d outlived its run", left)
	}
}

// findDescendant waits for a process below root whose command line
// contains want and returns its pid.
func findDescendant(t *testing.T, root int, want string) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, pid := range pids() {
			if isDescendant(pid, root) && strings.Contains(cmdline(pid), want) {
				return pid
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no process %q below pid %d", want, root)
	return 0
}

// findDescendantOrZero finds a live process of uid whose command line
// contains want, after giving the kernel a moment to reap.
func findDescendantOrZero(_ int, want string, uid int) int {
	time.Sleep(200 * time.Millisecond)
	for _, pid := range pids() {
		if strings.Contains(cmdline(pid), want) && ownerOf(pid) == uid && !isZombie(pid) {
			return pid
		}
	}
	return 0
}

func pids() []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			out = append(out, pid)
		}
	}
	return out
}

func cmdline(pid int) string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	return strings.ReplaceAll(string(b), "\x00", " ")
}

func statFields(pid int) []string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	s := string(b)
	if i := strings.LastIndex(s, ")"); i >= 0 {
		return strings.Fields(s[i+1:])
	}
	return nil
}

func isZombie(pid int) bool {
	f := statFields(pid)
	return len(f) > 0 && f[0] == "Z"
}

func isDescendant(pid, root int) bool {
	for pid > 1 {
		f := statFields(pid)
		if len(f) < 2 {
			return false
		}
		pid, _ = strconv.Atoi(f[1])
		if pid == root {
			return true
		}
	}
	return false
}

func ownerOf(pid int) int {
	st, err := os.Stat("/proc/" + strconv.Itoa(pid))
	if err != nil {
		return -1
	}
	return int(st.Sys().(*syscall.Stat_t).Uid)
}

// findProc finds a process of this user whose command line starts with want.
func findProc(t *testing.T, want string) int {
	t.Helper()
	pid := findProcOrZero(want)
	if pid == 0 {
		t.Fatalf("no process %q", want)
	}
	return pid
}

// findProcOrZero is findProc without failing: 0 when no process matches.
func findProcOrZero(want string) int {
	for _, pid := range pids() {
		if strings.HasPrefix(cmdline(pid), want) && ownerOf(pid) == os.Getuid() {
			return pid
		}
	}
	return 0
}

func uidSelf() int { return os.Getuid() }

func environ(pid int) string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	return strings.ReplaceAll(string(b), "\x00", "\n")
}
