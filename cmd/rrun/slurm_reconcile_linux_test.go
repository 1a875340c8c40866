package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestSlurmStepCgroup(t *testing.T) {
	for data, want := range map[string]bool{
		"0::/system.slice/slurmstepd.scope/job_12/step_0/slurm\n":                  true, // cgroup v2
		"4:freezer:/slurm/uid_1001/job_12/step_batch\n3:cpuset:/\n":                true, // cgroup v1
		"10:hugetlb:/\n9:name=systemd:/\n0::/\n":                                   false,
		"0::/user.slice/user-1001.slice/session-3.scope\n":                         false,
		"0::/system.slice/slurmd.service\n":                                        false,
		"0::/system.slice/slurmstepd.scope/job_12/step_extern/user/task_special\n": true,
	} {
		if got := slurmStepCgroup(data); got != want {
			t.Errorf("slurmStepCgroup(%q) = %v, want %v", data, got, want)
		}
	}
}

func TestStepdGone(t *testing.T) {
	self := stepdLabel(os.Getpid())
	if stepdGone(self) {
		t.Errorf("stepdGone(%q) of a running process: true", self)
	}
	f := strings.Split(self, ":")
	for _, l := range []string{
		f[0] + ":" + f[1] + "1:" + f[2], // same pid, another start time: a recycled pid
	} {
		if !stepdGone(l) {
			t.Errorf("stepdGone(%q) = false, want true", l)
		}
	}
	for _, l := range []string{
		"999999999:5:" + f[2] + "x", // another machine or boot
		f[0] + ":" + f[1],           // an older label
		"", "x:y:z",
	} {
		if stepdGone(l) {
			t.Errorf("stepdGone(%q) = true, want false (not ours to judge)", l)
		}
	}
}

// A step's container is removed only once its slurmstepd has exited: the
// monitor's settleStep waits for the process the label names, and returns
// at once for a label whose process is gone (a recycled pid included).
func TestSettleStepWaitsForSlurmstepd(t *testing.T) {
	stepd := exec.Command("sleep", "60")
	if err := stepd.Start(); err != nil {
		t.Fatal(err)
	}
	label := stepdLabel(stepd.Process.Pid)
	done := make(chan struct{})
	go func() { settleStep(label); close(done) }()
	select {
	case <-done:
		t.Fatal("settleStep returned while the slurmstepd it waits for still runs")
	case <-time.After(300 * time.Millisecond):
	}
	_ = stepd.Process.Kill()
	_ = stepd.Wait()
	select {
	case <-done:
	case <-time.After(stepdWaitMax / 2):
		t.Fatal("settleStep did not return after its slurmstepd exited")
	}

	f := strings.Split(stepdLabel(os.Getpid()), ":")
	for _, gone := range []string{label, f[0] + ":" + f[1] + "1:" + f[2]} {
		done := make(chan struct{})
		go func() { settleStep(gone); close(done) }()
		select {
		case <-done:
		case <-time.After(stepdWaitMax / 2):
			t.Fatalf("settleStep(%q) waited for a process that is gone", gone)
		}
	}
}
