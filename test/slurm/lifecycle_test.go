package slurm

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

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
		prepares := pidsMatching(t, "__slurm-prepare --name slurm-"+h.job+"[.]")
		if want := map[bool]int{false: 2, true: 0}[small]; len(prepares) != want {
			t.Errorf("small monitor %v: %d step prepares stay during the step, want %d", small, len(prepares), want)
		}
		ok(t, "scancel", h.job)
		waitNoContainers(t, h.job)
	}
}

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
