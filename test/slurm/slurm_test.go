package slurm

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// Every task of a two-node step runs inside the image: in the container's
// pid namespace (pid 1 is the holder), on the image's root filesystem, with
// the job's uid (or uid 0 with --container-remap-root), and Slurm's own
// variables reach it.
func TestSlurmTasksRunInsideTheImage(t *testing.T) {
	requireCluster(t)
	loadBusybox(t)
	script := `echo "$SLURM_PROCID $SLURM_NODEID $(id -u) $(tr "\0" " " </proc/1/cmdline | cut -d" " -f1) $(test -e /etc/slurm/slurm.conf && echo host-rootfs || echo image-rootfs) $FOO"`
	r := ok(t, "srun", "-N2", "-n4", "--container-image=busybox", "sh", "-c", script)
	got := lines(r.stdout)
	if len(got) != 4 {
		t.Fatalf("want 4 task lines, got %q (stderr %s)", r.stdout, r.stderr)
	}
	sort.Strings(got)
	nodes := map[string]bool{}
	uid := strconv.Itoa(os.Getuid())
	for i, l := range got {
		f := strings.Fields(l)
		if len(f) != 6 || f[0] != strconv.Itoa(i) || f[2] != uid || f[3] != "/.rrun-slurm/pause" || f[4] != "image-rootfs" || f[5] != "from-image" {
			t.Errorf("task line %q: want PROCID %d, uid %s, pid 1 the holder, the image's rootfs and env", l, i, uid)
		}
		if len(f) > 1 {
			nodes[f[1]] = true
		}
	}
	if !nodes["0"] || !nodes["1"] {
		t.Errorf("SLURM_NODEID: want tasks on nodes 0 and 1, got %v", nodes)
	}
	r = ok(t, "srun", "-N1", "-n1", "--container-image=busybox", "--container-remap-root", "id", "-u")
	if strings.TrimSpace(r.stdout) != "0" {
		t.Errorf("--container-remap-root: id -u = %q, want 0", r.stdout)
	}
}

// A task's exit status is the step's, as without a container.
func TestSlurmExitCodePropagates(t *testing.T) {
	requireCluster(t)
	loadBusybox(t)
	r := run(t, "srun", "-N2", "-n2", "--container-image=busybox", "sh", "-c", `[ "$SLURM_PROCID" = 1 ] && exit 7; exit 0`)
	if r.code != 7 {
		t.Errorf("srun exit %d, want 7 (task 1 exited 7); stderr %s", r.code, r.stderr)
	}
	r = run(t, "srun", "-N1", "-n1", "--container-image=busybox", "nosuchcommand")
	if r.code == 0 {
		t.Errorf("a command missing from the image: srun exit 0")
	}
}

// --container-env picks which variables of the job override the image's.
func TestSlurmContainerEnv(t *testing.T) {
	requireCluster(t)
	loadBusybox(t)
	t.Setenv("FOO", "from-job")
	r := ok(t, "srun", "-N1", "-n1", "--container-image=busybox", "sh", "-c", `echo "$FOO $SLURM_JOB_ID"`)
	if f := strings.Fields(r.stdout); len(f) != 2 || f[0] != "from-image" || f[1] == "" {
		t.Errorf("without --container-env: %q, want the image's FOO and SLURM_JOB_ID", r.stdout)
	}
	r = ok(t, "srun", "-N1", "-n1", "--container-image=busybox", "--container-env=FOO", "sh", "-c", `echo "$FOO"`)
	if strings.TrimSpace(r.stdout) != "from-job" {
		t.Errorf("with --container-env=FOO: %q, want the job's", r.stdout)
	}
}

// --container-mounts binds host dirs (read-only with :ro), and
// --container-workdir is the tasks' working directory.
func TestSlurmMountsAndWorkdir(t *testing.T) {
	requireCluster(t)
	loadBusybox(t)
	rw, ro := shared(t), shared(t)
	if err := os.WriteFile(filepath.Join(ro, "in"), []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	script := `pwd; cat /in/in; touch /in/x 2>/dev/null && echo ro-writable; echo "$SLURM_PROCID" > "out-$SLURM_PROCID"`
	r := ok(t, "srun", "-N2", "-n2", "--container-image=busybox", "--container-mounts="+rw+":/data,"+ro+":/in:ro",
		"--container-workdir=/data", "sh", "-c", script)
	if strings.Count(r.stdout, "/data\n") != 2 || strings.Count(r.stdout, "hello\n") != 2 || strings.Contains(r.stdout, "ro-writable") {
		t.Errorf("tasks printed %q: want /data and hello twice, and /in read-only", r.stdout)
	}
	for _, p := range []string{"out-0", "out-1"} {
		st, err := os.Stat(filepath.Join(rw, p))
		if err != nil {
			t.Errorf("%s not written through the mount: %v", p, err)
			continue
		}
		if owner := fileUID(st); owner != os.Getuid() {
			t.Errorf("%s belongs to uid %d, want %d (the job's user)", p, owner, os.Getuid())
		}
	}
}

// A missing image fails the step at once with one line naming the node.
func TestSlurmUnknownImageFailsClearly(t *testing.T) {
	requireCluster(t)
	r := run(t, "srun", "-w", "n1", "-N1", "-n1", "--container-image=127.0.0.1:1/nope/nothing:1", "true")
	if r.code == 0 {
		t.Fatalf("srun of an unknown image exited 0")
	}
	if !strings.Contains(r.stderr, "rrun: node n1:") || !strings.Contains(r.stderr, "127.0.0.1:1/nope/nothing:1") {
		t.Errorf("stderr %q: want one line naming the node and the image", r.stderr)
	}
}

// shared is a temporary directory the job's tasks can reach.
func shared(t *testing.T) string {
	t.Helper()
	d := t.TempDir()
	if err := os.Chmod(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

// --container-entrypoint runs the image's entrypoint with the task's
// command as its arguments; without it the command runs alone.
func TestSlurmContainerEntrypoint(t *testing.T) {
	requireCluster(t)
	loadBusybox(t)
	ref := "example.com/slurm/entrypoint:" + filepath.Base(t.TempDir())
	for _, n := range []string{"n1", "n2"} {
		for _, args := range [][]string{{"run", "--name", "ep-" + n, "busybox", "true"},
			{"commit", "--change", `ENTRYPOINT ["/bin/echo", "entrypoint:"]`, "ep-" + n, ref}, {"rm", "ep-" + n}} {
			if r := rrunOn(t, n, args...); r.code != 0 {
				t.Fatalf("rrun %v on %s: %s", args, n, r.stderr)
			}
		}
		t.Cleanup(func() { rrunOn(t, n, "rmi", ref) })
	}
	r := ok(t, "srun", "-N2", "-n2", "--container-image="+ref, "--container-entrypoint", "hello")
	if strings.Count(r.stdout, "entrypoint: hello\n") != 2 {
		t.Errorf("with --container-entrypoint: %q, want the entrypoint run with the command as arguments", r.stdout)
	}
	r = ok(t, "srun", "-N1", "-n1", "--container-image="+ref, "echo", "alone")
	if strings.TrimSpace(r.stdout) != "alone" {
		t.Errorf("without --container-entrypoint: %q, want the command alone", r.stdout)
	}
}

// --container-storage picks the rrun storage backend on every node (vfs
// here: the root is no overlay mount) and --container-readonly makes the
// root filesystem read-only.
func TestSlurmStorageBackendAndReadonly(t *testing.T) {
	requireCluster(t)
	for _, n := range []string{"n1", "n2"} {
		if r := rrunOn(t, n, "--storage", "vfs", "load", "-q", "-i", busyboxTar); r.code != 0 {
			t.Fatalf("load into vfs on %s: %s", n, r.stderr)
		}
	}
	r := ok(t, "srun", "-N2", "-n2", "--container-image=busybox", "--container-storage=vfs", "--container-readonly",
		"sh", "-c", `touch /x 2>/dev/null && echo writable; echo "$SLURM_JOB_ID $(grep " / " /proc/mounts | cut -d" " -f3)"`)
	got := lines(r.stdout)
	if len(got) != 2 || strings.Contains(r.stdout, "writable") || strings.Contains(r.stdout, "overlay") {
		t.Fatalf("tasks printed %q: want a read-only root on vfs (no overlay) on both nodes", r.stdout)
	}
	waitNoContainers(t, strings.Fields(got[0])[0])
}
