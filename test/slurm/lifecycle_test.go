package slurm

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/host/proc"
)

// scancel of a running step kills its tasks, and each node's container goes
// with them: nothing of the job is left in either node's store.
func TestSlurmScancelLeavesNothing(t *testing.T) {
	requireCluster(t)
	loadBusybox(t)
	h := startHeld(t, "srun", "-N2", "-n2", "--container-image=busybox", "sleep", "600")
	ok(t, "scancel", h.job)
	waitNoContainers(t, h.job)
}

// A step that runs out of its time limit is killed the same way.
func TestSlurmTimeLimitLeavesNothing(t *testing.T) {
	requireCluster(t)
	loadBusybox(t)
	r := run(t, "srun", "-N2", "-n2", "--time=0:02", "--container-image=busybox", "sh", "-c", `echo "job $SLURM_JOB_ID"; exec sleep 600`)
	if r.code == 0 {
		t.Fatalf("a step past its time limit exited 0: %s", r.stderr)
	}
	f := strings.Fields(r.stdout)
	if len(f) < 2 {
		t.Fatalf("no job id printed: %q %q", r.stdout, r.stderr)
	}
	waitNoContainers(t, f[1])
}

// Two steps of one sbatch job with the same --container-name share one
// container per node: the second sees what the first wrote, and the job's
// end removes it.
func TestSlurmContainerNameAcrossSteps(t *testing.T) {
	requireCluster(t)
	loadBusybox(t)
	dir := shared(t)
	script := `#!/bin/sh
#SBATCH -N2 -n2
srun --container-name=work --container-image=busybox sh -c 'echo "$SLURM_NODEID" > /tmp/state'
srun --container-name=work --container-image=busybox sh -c 'echo "seen $(cat /tmp/state) on $SLURM_NODEID"'
`
	p := filepath.Join(dir, "job.sh")
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	r := ok(t, "sbatch", "--wait", "--parsable", "-o", out, p)
	job := strings.TrimSpace(r.stdout)
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"seen 0 on 0", "seen 1 on 1"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("job output %q lacks %q: the second step did not reuse the node's container", data, want)
		}
	}
	waitNoContainers(t, job)
}

// A step fails with one line naming the node when rrun is not installed there.
func TestSlurmMissingRrunFailsClearly(t *testing.T) {
	requireCluster(t)
	cmd := exec.Command("srun", "-w", "n1", "-N1", "-n1", "--container-image=busybox", "true")
	cmd.Env = append(os.Environ(), "PATH=/usr/bin:/bin")
	r := runCmd(t, cmd)
	if r.code == 0 {
		t.Fatal("srun without rrun on the node exited 0")
	}
	if !strings.Contains(r.stderr, "rrun: node n1: rrun not found") {
		t.Errorf("stderr %q: want the node and the fix", r.stderr)
	}
}

// held is a step running in the background.
type held struct {
	job string
	cmd *exec.Cmd
}

// startHeld starts a step in the background, waits until both nodes run
// its container, and returns it; the step is cancelled at the end.
func startHeld(t *testing.T, name string, args ...string) held {
	t.Helper()
	tag := "held-" + filepath.Base(t.TempDir())
	cmd := slurmCmd(t, name, append([]string{"-J", tag}, args...)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = exec.Command("scancel", "-n", tag).Run() // the job may be gone already
		_ = cmd.Wait()
	})
	var job string
	eventually(t, "the step's containers run on both nodes", func() bool {
		out, _ := exec.Command("squeue", "-h", "-n", tag, "-o", "%i").Output()
		job = strings.TrimSpace(string(out))
		return job != "" && len(containersOf(t, "n1", job)) == 1 && len(containersOf(t, "n2", job)) == 1
	})
	return held{job, cmd}
}

// waitNoContainers waits until neither node has a container of job, nor a
// holder process of it left. It counts only job's own (a holder's argument
// is its container's name, slurm-JOB.STEP-NODE or slurm-JOB-NAME-NODE):
// other jobs' containers, running or left by a killed test run, are not
// this test's to judge.
func waitNoContainers(t *testing.T, job string) {
	t.Helper()
	eventually(t, "job "+job+"'s containers are removed on both nodes", func() bool {
		return len(containersOf(t, "n1", job)) == 0 && len(containersOf(t, "n2", job)) == 0
	})
	eventually(t, "no holder process is left", func() bool {
		return len(pidsMatching(t, "^/.rrun-slurm/pause slurm-"+job+"[.-]")) == 0
	})
}

// --container-image given to sbatch applies to the job's srun steps; the
// batch script itself runs on the host, as with pyxis.
func TestSlurmSbatchOptionReachesSteps(t *testing.T) {
	requireCluster(t)
	loadBusybox(t)
	dir := shared(t)
	out := filepath.Join(dir, "out")
	script := `test -e /etc/slurm/slurm.conf && echo script-on-host; srun sh -c 'echo "step: $(tr "\0" " " </proc/1/cmdline | cut -d" " -f1) $FOO"'`
	ok(t, "sbatch", "--wait", "-N1", "-o", out, "--container-image=busybox", "--wrap", script)
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "script-on-host") || !strings.Contains(string(data), "step: /.rrun-slurm/pause from-image") {
		t.Errorf("job output %q: want the script on the host and its step in the container", data)
	}
}

// The job epilog removes a named container with the rrun binary the job
// itself ran, even when the user's later jobs ran another one that is gone
// by then (another checkout, an upgrade): here the record a job of an
// older rrun would leave names a missing binary.
func TestSlurmEpilogUsesTheJobsRrun(t *testing.T) {
	requireCluster(t)
	loadBusybox(t)
	dir := shared(t)
	script := "#!/bin/sh\n#SBATCH -N2 -n2\nsrun --container-name=work --container-image=busybox true\n"
	for _, n := range []string{"n1", "n2"} {
		script += "ln -sfn /nonexistent/rrun " + filepath.Join(nodeDir(n), "rrun") + "\n"
	}
	p := filepath.Join(dir, "job.sh")
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	r := ok(t, "sbatch", "--wait", "--parsable", "-o", filepath.Join(dir, "out"), p)
	job := strings.TrimSpace(r.stdout)
	t.Cleanup(func() {
		for _, n := range []string{"n1", "n2"} {
			os.Remove(filepath.Join(nodeDir(n), "rrun"))
		}
	})
	waitNoContainers(t, job)
}

// A step's container is monitored by the step's own prepare process,
// which stays for the step (one start of the rrun binary per step and
// node); with RRUN_SMALL_MONITOR=1 in the job's environment it is handed
// to the small rrun-monitor instead (docs/slurm.md). Either way scancel
// removes it.
func TestSlurmStepMonitorIsThePrepareOrTheSmallOne(t *testing.T) {
	requireCluster(t)
	loadBusybox(t)
	for _, small := range []bool{false, true} {
		args := []string{"-N2", "-n2", "--container-image=busybox", "sleep", "600"}
		if small {
			args = append([]string{"--export=ALL,RRUN_SMALL_MONITOR=1"}, args...)
		}
		ok(t, "srun", "-N2", "-n2", "--container-image=busybox", "true") // each node's holder runs: the warm path
		h := startHeld(t, "srun", args...)
		var pauses []int
		// A record is there a moment before its container's process.
		eventually(t, "one container's process per node", func() bool {
			pauses = pidsMatching(t, "^/.rrun-slurm/pause slurm-"+h.job+"[.]")
			return len(pauses) >= 2
		})
		if len(pauses) != 2 {
			t.Fatalf("want one container per node, found holders %v", pauses)
		}
		for _, p := range pauses {
			st, _ := proc.Read(p)
			parent := cmdlineOf(st.PPid)
			switch {
			case small && !strings.HasPrefix(parent, "rrun-monitor "):
				t.Errorf("RRUN_SMALL_MONITOR=1: the holder %d's parent is %q, want rrun-monitor", p, parent)
			case !small && !strings.Contains(parent, "__plugin isolation"):
				t.Errorf("the holder %d's parent is %q, want the node's warm isolation plugin", p, parent)
			}
		}
		// The prepare stays the container's monitor: started by the
		// plugin, or a pre-started rrun of the node's holder that served it.
		prepares := pidsMatching(t, "__slurm-prepare --name slurm-"+h.job+"[.]")
		served := servedMonitorsOf(t, h.job)
		if want := map[bool]int{false: 2, true: 0}[small]; len(prepares)+len(served) != want {
			t.Errorf("small monitor %v: %d step prepares and %d pre-started rrun stay during the step, want %d in all",
				small, len(prepares), len(served), want)
		}
		ok(t, "scancel", h.job)
		waitNoContainers(t, h.job)
	}
}

// servedMonitorsOf lists the pre-started rrun processes (`rrun __prefork`)
// that monitor a container of job: their stdout is its monitor.log.
func servedMonitorsOf(t *testing.T, job string) []int {
	t.Helper()
	var ids []string
	for _, n := range []string{"n1", "n2"} {
		ids = append(ids, containersOf(t, n, job)...)
	}
	var out []int
	for _, pid := range pidsMatching(t, "^rrun __prefork ") {
		log, _ := os.Readlink("/proc/" + strconv.Itoa(pid) + "/fd/1")
		for _, id := range ids {
			if strings.Contains(log, "/containers/"+id) && strings.HasSuffix(log, "/monitor.log") {
				out = append(out, pid)
			}
		}
	}
	return out
}

// A step's prepare is served by a pre-started rrun of the node's holder,
// which stays the container's monitor and, once the step's container is
// gone, serves a later step's prepare: no rrun process starts per step.
// The prepare is run here as the plugin runs it (its environment, a
// slurmstepd stand-in, the holder killed at the "step's" end).
func TestSlurmPrepareServedByPreStartedRrunServesAgain(t *testing.T) {
	requireCluster(t)
	loadBusybox(t)
	ok(t, "srun", "-N2", "-n2", "--container-image=busybox", "true") // n1's holder and its pool run
	stepd := exec.Command("sleep", "600")
	if err := stepd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stepd.Process.Kill(); _ = stepd.Wait() })
	d := nodeDir("n1")
	reused := false
	for i := 0; i < 8 && !reused; i++ {
		name := fmt.Sprintf("slurm-served-%d-%d", os.Getpid(), i)
		eventually(t, "a pre-started rrun listens on n1", func() bool {
			m, _ := filepath.Glob(filepath.Join(d, "run", "rrun", "prefork", "*.sock"))
			return len(m) > 0
		})
		// With the resource limits slurmstepd gives it (the holder's: a
		// pre-started rrun serves only commands started with its own).
		holder := holderPid("n1")
		if holder == 0 {
			t.Fatal("no session holder runs on n1")
		}
		args := append(limitsOf(t, holder), "--", filepath.Join(binDir, "rrun"), "__slurm-prepare", "--name", name, "--job", "1",
			"--user", fmt.Sprintf("%d:%d", os.Getuid(), os.Getgid()), "--stepd", strconv.Itoa(stepd.Process.Pid), "busybox")
		cmd := exec.Command("prlimit", args...)
		cmd.Env = append(os.Environ(), "XDG_DATA_HOME="+filepath.Join(d, "data"), "XDG_RUNTIME_DIR="+filepath.Join(d, "run"),
			"RRUN_SLURM_DIR="+d, "RRUN_SLURM_NODE=n1", "SLURM_JOB_ID=1", "RRUN_TRACE=1")
		cmd.Dir = "/"
		r := runCmd(t, cmd)
		var pause int
		for _, l := range strings.Split(r.stdout, "\n") {
			if v, found := strings.CutPrefix(l, "pid "); found {
				pause, _ = strconv.Atoi(v)
			}
		}
		if r.code != 0 || pause == 0 || !strings.HasSuffix(r.stdout, "ready\n") {
			t.Fatalf("prepare %d: %+v", i, r)
		}
		m := servedNthRe.FindStringSubmatch(r.stderr)
		if m == nil {
			t.Fatalf("prepare %d was not served by a pre-started rrun:\n%s", i, r.stderr)
		}
		reused = m[1] != "1"
		// The step's end, as slurm_spank_exit makes it.
		if err := syscall.Kill(pause, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		eventually(t, name+" is removed", func() bool {
			return strings.TrimSpace(rrunOn(t, "n1", "ps", "-aq", "--filter", "name="+name).stdout) == ""
		})
	}
	if !reused {
		t.Fatal("no pre-started rrun served a second prepare in 8 steps")
	}
}

// limitsOf are prlimit(1)'s options that give a command the resource
// limits of process pid.
func limitsOf(t *testing.T, pid int) []string {
	t.Helper()
	names := map[string]int{"as": unix.RLIMIT_AS, "core": unix.RLIMIT_CORE, "cpu": unix.RLIMIT_CPU, "data": unix.RLIMIT_DATA,
		"fsize": unix.RLIMIT_FSIZE, "locks": unix.RLIMIT_LOCKS, "memlock": unix.RLIMIT_MEMLOCK, "msgqueue": unix.RLIMIT_MSGQUEUE,
		"nice": unix.RLIMIT_NICE, "nofile": unix.RLIMIT_NOFILE, "nproc": unix.RLIMIT_NPROC, "rss": unix.RLIMIT_RSS,
		"rtprio": unix.RLIMIT_RTPRIO, "rttime": unix.RLIMIT_RTTIME, "sigpending": unix.RLIMIT_SIGPENDING, "stack": unix.RLIMIT_STACK}
	value := func(v uint64) string {
		if v == unix.RLIM_INFINITY {
			return "unlimited"
		}
		return strconv.FormatUint(v, 10)
	}
	var out []string
	for name, res := range names {
		var rl unix.Rlimit
		if err := unix.Prlimit(pid, res, nil, &rl); err != nil {
			t.Fatalf("limits of %d: %v", pid, err)
		}
		out = append(out, "--"+name+"="+value(rl.Cur)+":"+value(rl.Max))
	}
	return out
}

var servedNthRe = regexp.MustCompile(`served by pre-started rrun \d+ of holder \d+ \(its command (\d+)\)`)

// pidsMatching lists this user's processes whose command line matches
// pattern (pgrep -f).
func pidsMatching(t *testing.T, pattern string) []int {
	t.Helper()
	out, _ := exec.Command("pgrep", "-u", strconv.Itoa(os.Getuid()), "-f", pattern).Output()
	var pids []int
	for _, f := range strings.Fields(string(out)) {
		if p, err := strconv.Atoi(f); err == nil {
			pids = append(pids, p)
		}
	}
	return pids
}

func cmdlineOf(pid int) string {
	data, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	return strings.ReplaceAll(string(data), "\x00", " ")
}
