package main

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/host/proc"
	"github.com/rrun-project/rrun/host/session"
	"github.com/rrun-project/rrun/host/state"
)

// slurmSessionMode picks the session the step's rrun commands use. A step
// joins the node's warm per-user session holder (and its warm plugins), in
// the per-node run dir the plugin's dir= pattern gives (two nodes on one
// machine never share a holder). Two cases keep a session of their own
// (RRUN_HOLDER=0): without a subordinate id range a joined run does not
// honour --userns keep-id (docs/internal.md), a step's default; and where
// Slurm tracks a step by cgroup (proctrack/cgroup, task/cgroup), the
// holder and warm plugins one job started live in that job's cgroup, and
// its end would kill them under a later job's container.
func slurmSessionMode(f slurmPrepareFlags) {
	keepIDSingle := !f.remapRoot && session.PlanMapping().Mapping == session.MappingSingle
	if keepIDSingle || inSlurmCgroup() {
		os.Setenv("RRUN_HOLDER", "0")
	}
}

// inSlurmCgroup reports whether this process is in a Slurm job's cgroup
// (.../job_J/step_S/... in /proc/self/cgroup, on cgroup v1 and v2).
func inSlurmCgroup() bool {
	data, err := os.ReadFile("/proc/self/cgroup")
	return err == nil && slurmStepCgroup(string(data))
}

// slurmStepCgroup reports whether a /proc/PID/cgroup text names a Slurm
// step's cgroup.
func slurmStepCgroup(data string) bool {
	for _, l := range strings.Split(data, "\n") {
		if i := strings.Index(l, "/job_"); i >= 0 && strings.Contains(l[i:], "/step_") {
			return true
		}
	}
	return false
}

// reapOrphanSteps removes, in the background, the step containers on this
// node whose slurmstepd is gone while their holder still runs: slurmstepd
// was killed, so the plugin's end-of-step kill never came. It reads the
// records in-process and starts a process only when it found any.
func reapOrphanSteps() {
	_, store, err := openStore()
	if err != nil {
		return // the run itself will say what is wrong with the store
	}
	recs, err := store.List()
	if err != nil {
		return
	}
	var names []string
	for _, r := range recs {
		if orphanStep(store, r) {
			names = append(names, r.Name)
		}
	}
	if len(names) > 0 {
		_ = startSlurmDetached(append([]string{slurmCleanupArg, "--steps"}, names...)) // best effort: the next prepare tries again
	}
}

// orphanStep reports whether r is a step's container left running with
// nobody to remove it: its slurmstepd is gone and its holder (pid 1) still
// runs. A container whose holder was killed, or that is no longer running,
// is its monitor's to remove (--rm), or rrun's own crash recovery's when
// the monitor is gone.
func orphanStep(store *state.Store, r state.Record) bool {
	v := r.Options.Labels[slurmStepdLabel]
	return v != "" && r.Status == state.StatusRunning && store.Alive(r) && stepdGone(v) && hostPid(r) > 0
}

// stepdLabel is the slurmstepd label of a step's container:
// "PID:START:BOOT" (START: field 22 of /proc/PID/stat; BOOT: this boot's
// id), so no other machine (a store on a shared home dir without dir=) and
// no earlier boot ever judges it.
func stepdLabel(pid int) string {
	return fmt.Sprintf("%d:%d:%s", pid, proc.Start(pid), bootID())
}

// stepdGone reports whether the slurmstepd a label names has exited (a
// recycled pid has another start time). A label of another machine or
// boot is not ours to judge: false.
func stepdGone(label string) bool {
	pid, start, ok := stepdOf(label)
	return ok && proc.Start(pid) != start
}

// stepdOf is the pid and start time of the slurmstepd a label names; false
// for a label of another machine or boot.
func stepdOf(label string) (int, uint64, bool) {
	f := strings.Split(label, ":")
	if len(f) != 3 || f[2] != bootID() || f[2] == "" {
		return 0, 0, false
	}
	pid, err1 := strconv.Atoi(f[0])
	start, err2 := strconv.ParseUint(f[1], 10, 64)
	if err1 != nil || err2 != nil || pid <= 0 || start == 0 {
		return 0, 0, false
	}
	return pid, start, true
}

// When a step's monitor removes its container (settleStep): once the
// step's slurmstepd exited (waited for at most stepdWaitMax), and
// stepRemovalGrace later.
const (
	stepdWaitMax     = 10 * time.Second
	stepRemovalGrace = 50 * time.Millisecond
)

// settleStep runs in the monitor of a step's container once the container
// ended (its holder killed by the plugin's slurm_spank_exit, at the step's
// end): it waits for the step's slurmstepd, which the label names, to
// exit, and then stepRemovalGrace more, before the container is removed.
// The step's end (slurmstepd's last messages, slurmctld, srun's return)
// then has the CPUs to itself: the removal, ~12 ms of CPU per node between
// this process and the warm plugins, made steps 6-15 ms slower when it ran
// at once on the test cluster, whose nodes share their CPUs with slurmctld
// and srun (docs/slurm.md, Cost per step).
func settleStep(label string) {
	pid, start, ok := stepdOf(label)
	if !ok {
		return
	}
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return // gone already
	}
	defer unix.Close(fd)
	if proc.Start(pid) != start {
		return // a recycled pid: that slurmstepd is gone
	}
	awaitExit(fd, stepdWaitMax)
	time.Sleep(stepRemovalGrace)
}

// bootID is the kernel's id of this boot ("" when unknown).
func bootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// startSlurmDetached starts this rrun with args in a session of its own
// (so it is no descendant of slurmstepd once this command exits, and
// Slurm's end-of-step kill of the step's processes misses it), with stdio
// on /dev/null.
func startSlurmDetached(args []string) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("failed to find the rrun binary: %w", err)
	}
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("failed to open %s: %w", os.DevNull, err)
	}
	defer null.Close()
	cmd := exec.Command(exe, withGlobals(args)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = null, null, null
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("failed to start rrun %s: %w", args[0], err)
	}
	// Waited for, not released: a pre-started rrun that served this
	// prepare may serve again, and must leave no zombie behind. A process
	// that exits first leaves it to its parent's reaper, as before.
	go func() { _ = cmd.Wait() }()
	return nil
}

// removeStepContainer removes a step's container once its slurmstepd is
// gone: a kill is enough for a container run with --rm (its monitor removes
// it with the warm plugins, no session needed); anything else (a monitor
// that is gone, an older container) gets rm -f.
func removeStepContainer(name string) error {
	if _, err := selfRun("kill", name); err == nil {
		return nil
	}
	_, err := selfRun("rm", "-f", name)
	if err != nil && strings.Contains(err.Error(), "no such container") {
		return nil // removed meanwhile: gone is what we want
	}
	return err
}
