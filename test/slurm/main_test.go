package slurm

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// What TestMain prepares once: rrun and the pause holder in binDir (first in
// the PATH of every srun, which is how the plugin finds rrun), the busybox
// fixture, and the per-node dir pattern of the cluster's plugstack.conf.
var (
	binDir     string
	busyboxTar string
	dirPattern string // dir= of plugstack.conf: %U, %n
	skipReason string
)

const plugstack = "/etc/slurm/plugstack.conf"

func TestMain(m *testing.M) {
	if os.Getuid() == 0 {
		fmt.Fprintln(os.Stderr, "slurm tests: refusing to run as root (run `make test`, it switches to an unprivileged user)")
		os.Exit(1)
	}
	if reason := clusterMissing(); reason != "" {
		// Skipped only where Slurm is not installed at all: test/setup-host.sh
		// (CI) installs it and starts the cluster, so there a missing cluster fails.
		if _, err := exec.LookPath("srun"); err == nil || os.Getenv("CI") != "" {
			fmt.Fprintln(os.Stderr, "slurm tests: "+reason)
			os.Exit(1)
		}
		skipReason = reason
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "rrun-slurm-")
	if err == nil {
		binDir = dir
		err = build(dir)
	}
	code := 1
	if err != nil {
		fmt.Fprintln(os.Stderr, "slurm tests setup:", err)
	} else {
		code = m.Run()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// clusterMissing says why the two-node test cluster cannot be used.
func clusterMissing() string {
	const fix = " (as root: integrations/slurm/test-cluster.sh; CI does it in test/setup-host.sh)"
	if _, err := exec.LookPath("srun"); err != nil {
		return "srun not installed" + fix
	}
	data, err := os.ReadFile(plugstack)
	if err != nil || !strings.Contains(string(data), "spank_rrun.so") {
		return plugstack + " does not enable spank_rrun.so" + fix
	}
	for _, f := range strings.Fields(string(data)) {
		if strings.HasPrefix(f, "dir=") {
			dirPattern = strings.TrimPrefix(f, "dir=")
		}
	}
	if dirPattern == "" {
		return plugstack + " has no dir= argument" + fix
	}
	out, err := exec.Command("sinfo", "-N", "-h", "-o", "%N %t", "-n", "n1,n2").Output()
	if err != nil || strings.Count(string(out), "idle")+strings.Count(string(out), "mix")+strings.Count(string(out), "alloc") < 2 {
		return fmt.Sprintf("nodes n1 and n2 are not up: %q %v", out, err) + fix
	}
	return ""
}

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func build(dir string) error {
	root := repoRoot()
	tags := strings.TrimSpace(string(must(exec.Command("make", "-s", "-C", root, "print-tags").Output())))
	busyboxTar = filepath.Join(dir, "busybox.tar")
	steps := [][]string{
		{"go", "build", "-tags", tags, "-o", filepath.Join(dir, "rrun"), "./cmd/rrun"},
		{"cc", "-O2", "-static", "-o", filepath.Join(dir, "rrun-slurm-pause"), "integrations/slurm/pause.c"},
		// the small monitor a container is handed to (RRUN_SMALL_MONITOR=1, --container-name), found next to rrun
		{"make", "-s", "monitor", "MONITOR_OUT=" + filepath.Join(dir, "rrun-monitor")},
		{"go", "run", "./test/fixtures/mkimage", "-o", busyboxTar, "-tag", "docker.io/library/busybox:latest"},
	}
	if _, err := os.Stat(filepath.Join(root, "cmd", "rrun-nsinit")); err == nil {
		// the native backend's container init, a program of its own next to rrun where the tree has one
		steps = append(steps, []string{"go", "build", "-tags", tags, "-o", filepath.Join(dir, "rrun-nsinit"), "./cmd/rrun-nsinit"})
	}
	for _, s := range steps {
		cmd := exec.Command(s[0], s[1:]...)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %v\n%s", strings.Join(s, " "), err, out)
		}
	}
	// slurmstepd runs rrun as this user from its own cwd: the dir must be searchable.
	return os.Chmod(dir, 0o755)
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func requireCluster(t *testing.T) {
	t.Helper()
	if skipReason != "" {
		t.Skip(skipReason)
	}
}

// result of one command.
type result struct {
	stdout, stderr string
	code           int
}

// srun runs srun (or sbatch, salloc, scancel: name) with rrun first in PATH.
func slurmCmd(t *testing.T, name string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "PATH="+binDir+":"+os.Getenv("PATH"))
	return cmd
}

// cmdLimit bounds one srun, sbatch or rrun command of a test: a command
// that hangs fails its test with what the nodes were doing, instead of
// taking the rest of the run with it. It asserts no timing.
const cmdLimit = 4 * time.Minute

func run(t *testing.T, name string, args ...string) result {
	t.Helper()
	return runCmd(t, slurmCmd(t, name, args...))
}

// runCmd runs cmd (at most cmdLimit) and returns its output and exit code.
func runCmd(t *testing.T, cmd *exec.Cmd) result {
	t.Helper()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.WaitDelay = 10 * time.Second // a process left holding the output ends nothing
	if err := cmd.Start(); err != nil {
		t.Fatalf("%v: %v", cmd.Args, err)
	}
	timer := time.AfterFunc(cmdLimit, func() { _ = cmd.Process.Kill() })
	err := cmd.Wait()
	if !timer.Stop() {
		t.Fatalf("%v did not end in %v (killed)\nstdout: %s\nstderr: %s\n%s", cmd.Args, cmdLimit, out.String(), errb.String(), nodesState())
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%v: %v", cmd.Args, err)
	}
	return result{out.String(), errb.String(), code}
}

func ok(t *testing.T, name string, args ...string) result {
	t.Helper()
	r := run(t, name, args...)
	if r.code != 0 {
		t.Fatalf("%s %s: exit %d\nstdout: %s\nstderr: %s", name, strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// nodeDir is the plugin's per-node dir of this user on node.
func nodeDir(node string) string {
	return strings.NewReplacer("%U", strconv.Itoa(os.Getuid()), "%n", node).Replace(dirPattern)
}

// rrunOn runs rrun against node's store, as the plugin does there.
func rrunOn(t *testing.T, node string, args ...string) result {
	t.Helper()
	d := nodeDir(node)
	if err := os.MkdirAll(filepath.Join(d, "run"), 0o700); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(binDir, "rrun"), args...)
	cmd.Env = append(os.Environ(), "XDG_DATA_HOME="+filepath.Join(d, "data"), "XDG_RUNTIME_DIR="+filepath.Join(d, "run"))
	return runCmd(t, cmd)
}

// loadBusybox makes sure both nodes' stores hold busybox.
func loadBusybox(t *testing.T) {
	t.Helper()
	for _, n := range []string{"n1", "n2"} {
		if r := rrunOn(t, n, "load", "-q", "-i", busyboxTar); r.code != 0 {
			t.Fatalf("load on %s: %s", n, r.stderr)
		}
	}
}

// containersOf lists the containers of a job on node (rrun ps -a).
func containersOf(t *testing.T, node, job string) []string {
	t.Helper()
	r := rrunOn(t, node, "ps", "-aq", "--filter", "label=rrun.slurm.job="+job)
	return strings.Fields(r.stdout)
}

// eventually polls cond until it holds; the bound only stops a broken
// test from hanging, it asserts no timing.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("still not true after 90s: %s\n%s", what, nodesState())
}

// nodesState is what a failed test prints of the cluster: the jobs and
// nodes as Slurm sees them, and this user's and slurmstepd's processes
// (with the kernel function each one waits in).
func nodesState() string {
	var b strings.Builder
	for _, c := range [][]string{
		{"squeue", "-a", "-o", "%i %j %T %M %R"},
		{"sinfo", "-N", "-o", "%N %T %E"},
		{"ps", "-o", "pid,ppid,stat,wchan:24,etime,args", "-u", strconv.Itoa(os.Getuid())},
		{"ps", "-o", "pid,ppid,stat,wchan:24,etime,args", "-C", "slurmstepd"},
	} {
		cmd := exec.Command(c[0], c[1:]...)
		out, err := cmd.CombinedOutput()
		fmt.Fprintf(&b, "$ %s\n%s", strings.Join(c, " "), out)
		if err != nil {
			fmt.Fprintf(&b, "(%v)\n", err)
		}
	}
	return b.String()
}

// lines splits output into its non-empty lines.
func lines(s string) []string {
	var l []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) != "" {
			l = append(l, sc.Text())
		}
	}
	return l
}
