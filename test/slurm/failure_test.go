package slurm

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
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
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute) // a hang becomes a failure, not a stuck suite
	defer cancel()
	cmd := exec.CommandContext(ctx, "srun", "-N2", "-n2", "--container-image=busybox", "sh", "-c", "echo ran-on-$SLURM_NODEID")
	cmd.Env = append(os.Environ(), "PATH="+wrap+":"+binDir+":"+os.Getenv("PATH"))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("srun hung on a node without user namespaces; stderr so far: %s", errb.String())
	}
	if err == nil {
		t.Fatalf("srun exited 0 with a node without user namespaces: %s", errb.String())
	}
	var line string
	for _, l := range lines(errb.String()) {
		if strings.Contains(l, "rrun: node n1:") {
			if line != "" {
				t.Errorf("more than one line for node n1:\n%s", errb.String())
			}
			line = l
		}
		if strings.Contains(l, "rrun: node n2:") {
			t.Errorf("node n2 has user namespaces, yet: %s", l)
		}
	}
	if !strings.Contains(line, "user.max_user_namespaces") || !strings.Contains(line, "fix:") {
		t.Errorf("want one line naming node n1, the missing user namespaces and the fix; stderr:\n%s", errb.String())
	}
	if o := out.String(); !strings.Contains(o, "ran-on-1") || strings.Contains(o, "ran-on-0") {
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

// When a step's slurmstepd is gone and the watcher that should have
// removed its container is gone too (killed with it), the node's next
// rrun step removes the orphaned container: nothing of the first job is
// left once the node ran another step.
func TestSlurmOrphanedStepContainerRemovedByNextStep(t *testing.T) {
	requireCluster(t)
	loadBusybox(t)
	h := startHeld(t, "srun", "-N2", "-n2", "--container-image=busybox", "sleep", "600")
	watcher := watcherOf(t, h.job, "n1")
	if err := syscall.Kill(watcher, syscall.SIGKILL); err != nil {
		t.Fatalf("kill the watcher %d: %v", watcher, err)
	}
	ok(t, "scancel", h.job)
	_ = h.cmd.Wait() // the step ends: n1's slurmstepd exits with nobody left to remove its container
	eventually(t, "n2's watcher removed its container", func() bool { return len(containersOf(t, "n2", h.job)) == 0 })
	ok(t, "srun", "-w", "n1", "-N1", "-n1", "--container-image=busybox", "true")
	waitNoContainers(t, h.job)
}

// watcherOf is the pid of the __slurm-watch process of job's step 0 on
// node (started just after the container, which startHeld waited for).
func watcherOf(t *testing.T, job, node string) int {
	t.Helper()
	pattern := "__slurm-watch [0-9]+ slurm-" + job + `\.0-` + node + "$"
	var f []string
	eventually(t, "one watcher of job "+job+" on "+node, func() bool {
		out, _ := exec.Command("pgrep", "-u", strconv.Itoa(os.Getuid()), "-f", pattern).Output()
		f = strings.Fields(string(out))
		return len(f) == 1
	})
	pid, err := strconv.Atoi(f[0])
	if err != nil {
		t.Fatal(err)
	}
	return pid
}
