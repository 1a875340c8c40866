package slurm

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// probeSource is a static helper run inside the tasks (busybox has neither
// add_key nor a way to list only the fds it did not open itself):
// `probe addkey` tries add_key(2), which docker's default seccomp profile
// refuses with EPERM; `probe fds` prints every open fd above 2.
const probeSource = `#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "addkey") == 0) {
		long r = syscall(SYS_add_key, "user", "rrun-probe", "v", 1, -2 /* KEY_SPEC_PROCESS_KEYRING */);
		printf("add_key %s\n", r >= 0 ? "allowed" : errno == EPERM ? "EPERM" : strerror(errno));
		return 0;
	}
	printf("fds:");
	for (int fd = 3; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			printf(" %d", fd);
	printf("\n");
	return 0;
}
`

// buildProbe compiles probeSource statically into a dir the nodes can
// mount, and returns the dir.
func buildProbe(t *testing.T) string {
	t.Helper()
	dir := shared(t)
	src := filepath.Join(t.TempDir(), "probe.c")
	if err := os.WriteFile(src, []byte(probeSource), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("gcc", "-static", "-O2", "-o", filepath.Join(dir, "probe"), src).CombinedOutput(); err != nil {
		t.Fatalf("gcc -static (gcc and libc6-dev are test dependencies, see test/setup-host.sh): %v\n%s", err, out)
	}
	return dir
}

// confinementScript prints what a process's confinement is: its
// capability sets, no_new_privs, seccomp mode, and whether add_key works.
const confinementScript = `grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp):' /proc/self/status; /probe/probe addkey`

// A task is confined as the container's own processes are: the same
// seccomp filter (mode 2; add_key, which docker's default profile refuses,
// fails with EPERM) and the same capability sets as `rrun run` of the
// image gives its process, for the job's own uid (no effective
// capabilities) and for uid 0 with --container-remap-root (podman's default
// set, not every capability of the user namespace).
func TestSlurmTasksHaveTheContainersSeccompAndCapabilities(t *testing.T) {
	requireCluster(t)
	loadBusybox(t)
	probe := buildProbe(t)
	for _, tc := range []struct {
		name      string
		srunArgs  []string
		rrunArgs  []string
		effective bool
	}{
		{"own uid", nil, []string{"--userns", "keep-id"}, false},
		{"remap root", []string{"--container-remap-root"}, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"-N1", "-n1", "-w", "n1", "--container-image=busybox", "--container-mounts=" + probe + ":/probe:ro"}, tc.srunArgs...)
			task := ok(t, "srun", append(args, "sh", "-c", confinementScript)...).stdout
			ref := rrunOn(t, "n1", append(append([]string{"run", "--rm", "-v", probe + ":/probe:ro"}, tc.rrunArgs...), "busybox", "sh", "-c", confinementScript)...)
			if ref.code != 0 {
				t.Fatalf("rrun run on n1: exit %d: %s", ref.code, ref.stderr)
			}
			if !strings.Contains(task, "Seccomp:\t2") {
				t.Errorf("task not under a seccomp filter:\n%s", task)
			}
			if !strings.Contains(task, "add_key EPERM") {
				t.Errorf("add_key in a task: want EPERM from docker's default profile:\n%s", task)
			}
			if task != ref.stdout {
				t.Errorf("task's confinement differs from the container's:\ntask:\n%s\nrrun run:\n%s", task, ref.stdout)
			}
			if hasEff := !strings.Contains(task, "CapEff:\t0000000000000000"); hasEff != tc.effective {
				t.Errorf("effective capabilities present = %v, want %v:\n%s", hasEff, tc.effective, task)
			}
		})
	}
}

// A task starts with stdio only: an fd open in srun's caller is not
// there, nor anything slurmstepd or the plugin had open; with
// --mpi=pmi2 the PMI fd Slurm hands the task (PMI_FD) stays.
func TestSlurmTaskFdsAreStdioOnly(t *testing.T) {
	requireCluster(t)
	loadBusybox(t)
	probe := buildProbe(t)
	mount := "--container-mounts=" + probe + ":/probe:ro"
	r := ok(t, "bash", "-c", `exec 7</etc/hostname; exec srun -N2 -n2 --container-image=busybox `+mount+` /probe/probe fds`)
	for _, l := range lines(r.stdout) {
		if strings.TrimSpace(l) != "fds:" {
			t.Errorf("task has fds beyond stdio: %q", l)
		}
	}
	if len(lines(r.stdout)) != 2 {
		t.Errorf("want one line per task, got %q", r.stdout)
	}
	r = ok(t, "srun", "-N1", "-n1", "--mpi=pmi2", "--container-image=busybox", mount, "sh", "-c", `echo "PMI_FD=$PMI_FD"; /probe/probe fds`)
	got := lines(r.stdout)
	if len(got) != 2 || !strings.HasPrefix(got[0], "PMI_FD=") || got[1] != "fds: "+strings.TrimPrefix(got[0], "PMI_FD=") {
		t.Errorf("with --mpi=pmi2: want the PMI fd and only it, got %q", r.stdout)
	}
}
