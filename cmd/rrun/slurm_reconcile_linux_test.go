package main

import (
	"os"
	"strings"
	"testing"
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
