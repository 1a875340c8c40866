package slurm

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rrun-project/rrun/host/proc"
)

// A node where the user cannot create user namespaces (here node n1: the
// rrun the plugin finds there runs where user.max_user_namespaces is 0,
// as after `sysctl user.max_user_namespaces=0`; rrun's own checks find it)
// fails its part of the step with one line naming the node and the fix,
// at once: the step ends, the other node's task runs.
func TestSlurmNodeWithoutUserNamespacesFailsClearly(t *testing.T) {
	requireCluster(t)
	loadBusybox(t)
	wrap := noUserNSOn(t, "n1")
	cmd := exec.Command("srun", "-N2", "-n2", "--container-image=busybox", "sh", "-c", "echo ran-on-$SLURM_NODEID")
	cmd.Env = append(os.Environ(), "PATH="+wrap+":"+binDir+":"+os.Getenv("PATH"))
	r := runCmd(t, cmd)
	if r.code == 0 {
		t.Fatalf("srun exited 0 with a node without user namespaces: %s", r.stderr)
	}
	var line string
	for _, l := range lines(r.stderr) {
		if strings.Contains(l, "rrun: node n1:") {
			if line != "" {
				t.Errorf("more than one line for node n1:\n%s", r.stderr)
			}
			line = l
		}
		if strings.Contains(l, "rrun: node n2:") {
			t.Errorf("node n2 has user namespaces, yet: %s", l)
		}
	}
	if !strings.Contains(line, "user.max_user_namespaces") || !strings.Contains(line, "fix:") {
		t.Errorf("want one line naming node n1, the missing user namespaces and the fix; stderr:\n%s", r.stderr)
	}
	if o := r.stdout; !strings.Contains(o, "ran-on-1") || strings.Contains(o, "ran-on-0") {
		t.Errorf("task output %q: want the task of n2 only", o)
	}
}

// noUserNSOn returns a dir with an `rrun` that, on node (RRUN_SLURM_NODE,
// set by the plugin), runs the real rrun in a user namespace whose
// user.max_user_namespaces is 0: there no process can create a user
// namespace, as on a host with that sysctl at 0. Elsewhere it is rrun.
func noUserNSOn(t *testing.T, node string) string {
	t.Helper()
	dir := shared(t)
	real := filepath.Join(binDir, "rrun")
	script := "#!/bin/sh\n" +
		`if [ "$RRUN_SLURM_NODE" = ` + node + " ]; then\n" +
		`  exec unshare -U --map-current-user --keep-caps sh -c 'echo 0 > /proc/sys/user/max_user_namespaces && exec "$0" "$@"' ` + real + ` "$@"` + "\n" +
		"fi\n" +
		`exec ` + real + ` "$@"` + "\n"
	if err := os.WriteFile(filepath.Join(dir, "rrun"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// When a step's slurmstepd dies without its end-of-step hook (killed:
// the plugin's slurm_spank_exit never runs), the container it served is
// left running with nobody to remove it; the node's next rrun step removes
// it. The test cannot kill root's slurmstepd, so it makes such a container
// itself: one labelled as the plugin labels a step's, whose "slurmstepd"
// is a process the test then kills. A container whose slurmstepd still
// runs is left alone.
func TestSlurmOrphanedStepContainerRemovedByNextStep(t *testing.T) {
	requireCluster(t)
	loadBusybox(t)
	boot := strings.TrimSpace(string(must(os.ReadFile("/proc/sys/kernel/random/boot_id"))))
	stepd := func() *exec.Cmd {
		c := exec.Command("sleep", "600")
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Process.Kill(); _ = c.Wait() })
		return c
	}
	job := "orphan-" + strconv.Itoa(os.Getpid())
	start := func(name string, c *exec.Cmd) {
		label := fmt.Sprintf("rrun.slurm.stepd=%d:%d:%s", c.Process.Pid, processStart(t, c.Process.Pid), boot)
		if r := rrunOn(t, "n1", "run", "-d", "--rm", "--name", name, "--network", "host", "--label", "rrun.slurm.job="+job,
			"--label", label, "busybox", "sleep", "600"); r.code != 0 {
			t.Fatalf("run %s: %s", name, r.stderr)
		}
		t.Cleanup(func() { rrunOn(t, "n1", "rm", "-f", name) })
	}
	gone, alive := stepd(), stepd()
	start(job+"-gone", gone)
	start(job+"-alive", alive)
	_ = gone.Process.Kill()
	_ = gone.Wait()
	ok(t, "srun", "-w", "n1", "-N1", "-n1", "--container-image=busybox", "true")
	eventually(t, "the orphaned container removed", func() bool {
		return len(containersOf(t, "n1", job)) == 1
	})
	if r := rrunOn(t, "n1", "inspect", "-f", "{{.State.Running}}", job+"-alive"); strings.TrimSpace(r.stdout) != "true" {
		t.Errorf("the container of a live slurmstepd: running=%q (%s), want it left alone", r.stdout, r.stderr)
	}
}

// processStart is field 22 of /proc/PID/stat, the process's start time.
func processStart(t *testing.T, pid int) uint64 {
	t.Helper()
	st, ok := proc.Read(pid)
	if !ok {
		t.Fatalf("process %d is gone", pid)
	}
	return st.Start
}
