package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The binaries and fixtures every test shares, built once by TestMain.
var (
	rrunBin       string // the rrun binary under test
	pluginDir     string // holds rrun-storage-rootfsdir, the example plugin
	busyboxDocker string // docker-archive of busybox, tagged busybox:latest
	busyboxOCI    string // oci-archive of busybox, tagged example.com/busybox-oci:1
	exampleRootfs string // an unpacked rootfs served by the example plugin
	workDir       string
)

func TestMain(m *testing.M) {
	if os.Getuid() == 0 {
		fmt.Fprintln(os.Stderr, "e2e: refusing to run container tests as root: run `make test` (it switches to an unprivileged user)")
		os.Exit(1)
	}
	dir, err := os.MkdirTemp("", "rrun-e2e-")
	if err != nil {
		panic(err)
	}
	workDir = dir
	code := 1
	if err := build(dir); err != nil {
		fmt.Fprintln(os.Stderr, "e2e setup:", err)
	} else {
		code = m.Run()
		if leaked := leakedProcesses(dir); leaked != "" {
			fmt.Fprintln(os.Stderr, "e2e: processes outlived their tests:\n"+leaked)
			code = 1
		}
	}
	cleanupTree(dir)
	os.Exit(code)
}

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func build(dir string) error {
	root := repoRoot()
	tags := strings.TrimSpace(string(must(exec.Command("make", "-s", "-C", root, "print-tags").Output())))
	rrunBin = filepath.Join(dir, "rrun")
	pluginDir = filepath.Join(dir, "plugins")
	busyboxDocker = filepath.Join(dir, "busybox.tar")
	busyboxOCI = filepath.Join(dir, "busybox-oci.tar")
	exampleRootfs = filepath.Join(dir, "example-rootfs")
	steps := [][]string{
		{"go", "build", "-tags", tags, "-o", rrunBin, "./cmd/rrun"},
		{"env", "CGO_ENABLED=0", "go", "build", "-o", filepath.Join(dir, "rrun-init"), "./cmd/rrun-init"},
		{"go", "build", "-o", filepath.Join(dir, "rrun-nsinit"), "./cmd/rrun-nsinit"},
		{"make", "-s", "monitor", "MONITOR_OUT=" + filepath.Join(dir, "rrun-monitor")},
		{"go", "build", "-o", filepath.Join(pluginDir, "rrun-storage-rootfsdir"), "./plugins/examples/rootfsdir"},
		{"go", "build", "-o", filepath.Join(dir, "badplugin"), "./test/e2e/testdata/badplugin"},
		{"env", "CGO_ENABLED=0", "go", "build", "-o", filepath.Join(dir, "xattr"), "./test/e2e/testdata/xattr"},
		{"go", "run", "./test/fixtures/mkimage", "-o", busyboxDocker, "-tag", "docker.io/library/busybox:latest"},
		{"go", "run", "./test/fixtures/mkimage", "-o", busyboxOCI, "-format", "oci-archive", "-tag", "example.com/busybox-oci:1"},
		{"go", "run", "./test/fixtures/mkimage", "-rootfs", exampleRootfs},
	}
	for _, s := range steps {
		cmd := exec.Command(s[0], s[1:]...)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %v\n%s", strings.Join(s, " "), err, out)
		}
	}
	return nil
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// cleanupTree deletes a tree that may hold files of subordinate ids, which
// only rrun's user namespace may remove.
func cleanupTree(dir string) {
	if rrunBin != "" {
		_ = exec.Command(rrunBin, "unshare", "rm", "-rf", dir).Run()
	}
	_ = os.RemoveAll(dir)
}

// result is what one rrun command did.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// env is an isolated rrun home: its own store, config and run dir.
type env struct {
	t      *testing.T
	home   string
	vars   []string
	prefix []string // a command rrun runs under (nice, taskset, prlimit)
}

func newEnv(t *testing.T) *env {
	t.Helper()
	home, err := os.MkdirTemp(workDir, "home-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// A keep-id run leaves a copier at nice 19 making mapped layer
		// copies, which may take minutes on a busy machine; it is made to
		// be killed (the next keep-id command starts another), and the
		// home it works in is going.
		for _, pid := range copierPIDsOf(home) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		cleanupTree(home)
	})
	homes.Store(home, t.Name())
	run := filepath.Join(home, "run")
	if err := os.Mkdir(run, 0o700); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, home: home, vars: []string{
		"HOME=" + home,
		"XDG_DATA_HOME=" + filepath.Join(home, "data"),
		"XDG_CONFIG_HOME=" + filepath.Join(home, "config"),
		"XDG_RUNTIME_DIR=" + run,
		"RRUN_PLUGIN_PATH=" + pluginDir,
		"PATH=" + os.Getenv("PATH"),
	}}
	if iso := isolationOf(t); iso != "" {
		e.vars = append(e.vars, "RRUN_ISOLATION="+iso)
	}
	return e
}

// run runs rrun with args and stdin (may be empty).
func (e *env) run(stdin string, args ...string) result {
	e.t.Helper()
	return e.runWith(nil, stdin, args...)
}

// runWith is run with extra open fds (3, 4, ...) in rrun. Each command is
// bounded (cmdTimeout): a hung rrun fails its test with what it printed,
// instead of hanging the package until go test's own timeout.
func (e *env) runWith(fds []*os.File, stdin string, args ...string) result {
	e.t.Helper()
	r, hung := e.runLimited(cmdTimeout(), fds, stdin, args...)
	if hung {
		e.t.Fatalf("rrun %v did not finish within %s (RRUN_E2E_CMD_TIMEOUT); killed:\nstdout:\n%s\nstderr:\n%s",
			args, cmdTimeout(), r.stdout, r.stderr)
	}
	return r
}

// runLimited runs rrun, killing it after limit; hung says it was killed.
func (e *env) runLimited(limit time.Duration, fds []*os.File, stdin string, args ...string) (result, bool) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	argv := append(append(append([]string(nil), e.prefix...), rrunBin), args...)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env, cmd.ExtraFiles = e.vars, fds
	cmd.Stdin = strings.NewReader(stdin)
	cmd.WaitDelay = 10 * time.Second // a child holding the output pipes open
	var hung string
	cmd.Cancel = func() error {
		hung = e.processesOfHome() // what the hang was waiting on, before the kill changes it
		return cmd.Process.Kill()
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		return result{stdout: out.String(), stderr: errb.String() + "\nprocesses of the test's home when it hung:\n" + hung, code: -1}, true
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatalf("rrun %v: %v", args, err)
	}
	return result{stdout: out.String(), stderr: errb.String(), code: code}, false
}

// cmdTimeout bounds one rrun command: $RRUN_E2E_CMD_TIMEOUT (a Go
// duration), else 5 minutes.
func cmdTimeout() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("RRUN_E2E_CMD_TIMEOUT")); err == nil && d > 0 {
		return d
	}
	return 5 * time.Minute
}

// ok runs rrun and fails the test unless it exits 0.
func (e *env) ok(args ...string) result {
	e.t.Helper()
	r := e.run("", args...)
	if r.code != 0 {
		e.t.Fatalf("rrun %s: %s", strings.Join(args, " "), r)
	}
	return r
}

// withBusybox returns an env whose store holds busybox:latest.
func withBusybox(t *testing.T) *env {
	e := newEnv(t)
	e.ok("load", "-q", "-i", busyboxDocker)
	return e
}

// processesOfHome lists the processes of this test's home (by their
// environment) with their state and the kernel function they wait in.
func (e *env) processesOfHome() string {
	var out strings.Builder
	for _, pid := range pids() {
		if ownerOf(pid) != os.Getuid() || !strings.Contains(environ(pid), e.home) {
			continue
		}
		f := statFields(pid)
		state, ppid := "?", "?"
		if len(f) > 1 {
			state, ppid = f[0], f[1]
		}
		wchan, _ := os.ReadFile(fmt.Sprintf("/proc/%d/wchan", pid))
		fmt.Fprintf(&out, "  %d ppid %s %s wchan %s: %s\n", pid, ppid, state, wchan, cmdline(pid))
	}
	return out.String()
}

// leakedProcesses lists (and kills) the processes that still have the test
// dir in their environment once every test is done: a container, monitor
// or plugin that outlived the rrun command that made it.
func leakedProcesses(dir string) string {
	time.Sleep(500 * time.Millisecond)
	var out strings.Builder
	for _, pid := range pids() {
		if ownerOf(pid) == os.Getuid() && !isZombie(pid) && pid != os.Getpid() && strings.Contains(environ(pid), dir) {
			fmt.Fprintf(&out, "  %d %s (%s)\n", pid, cmdline(pid), homeOf(pid))
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	return out.String()
}

// homes maps each test's home to the test, to name the test that leaked.
var homes sync.Map

func homeOf(pid int) string {
	for _, kv := range strings.Split(environ(pid), "\n") {
		if home, ok := strings.CutPrefix(kv, "HOME="); ok {
			if name, ok := homes.Load(home); ok {
				return name.(string)
			}
			return kv
		}
	}
	return ""
}
