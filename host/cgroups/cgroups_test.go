package cgroups

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

const userCgroup = "/user.slice/user-1000.slice/user@1000.service/app.slice/term.scope"

// fakeHost writes files (path -> content) under a temp root.
func fakeHost(t *testing.T, uid int, files map[string]string) Host {
	root := t.TempDir()
	for p, content := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return Host{Root: root, UID: uid}
}

// v2Tree is a unified host where every cgroup down to the user's offers ctrl.
func v2Tree(ctrl string) map[string]string {
	files := map[string]string{"/proc/self/cgroup": "0::" + userCgroup + "\n"}
	for dir := userCgroup; ; dir = filepath.Dir(dir) {
		files[filepath.Join("/sys/fs/cgroup", dir, "cgroup.controllers")] = ctrl
		files[filepath.Join("/sys/fs/cgroup", dir, "cgroup.subtree_control")] = ""
		if dir == "/" {
			return files
		}
	}
}

func TestDetectV1(t *testing.T) {
	h := fakeHost(t, os.Getuid(), map[string]string{"/proc/self/cgroup": "4:memory:/x\n1:cpu:/\n"})
	l := h.Detect()
	if l.Version != VersionV1 || l.V2Mount != "" {
		t.Fatalf("layout %+v, want v1 without cgroup2", l)
	}
	_, err := h.Delegated(l, []string{"memory"})
	want := "memory limits need cgroup v2 with the memory controller delegated to you; this host has cgroup v1"
	if err == nil || err.Error() != want {
		t.Fatalf("error %v, want %q", err, want)
	}
}

func TestDetectHybrid(t *testing.T) {
	h := fakeHost(t, os.Getuid(), map[string]string{
		"/proc/self/cgroup":                         "10:hugetlb:/\n1:cpu:/\n0::/\n",
		"/sys/fs/cgroup/unified/cgroup.controllers": "",
	})
	l := h.Detect()
	if l.Version != VersionHybrid || l.V2Mount != "/sys/fs/cgroup/unified" {
		t.Fatalf("layout %+v, want hybrid with cgroup2 at /sys/fs/cgroup/unified", l)
	}
	_, err := h.Delegated(l, []string{"cpu"})
	if err == nil || !strings.Contains(err.Error(), "this host has cgroup v1 (its cgroup2 at /sys/fs/cgroup/unified offers: none)") {
		t.Fatalf("error %v", err)
	}
}

func TestV2Delegated(t *testing.T) {
	h := fakeHost(t, os.Getuid(), v2Tree("cpu io memory pids"))
	l := h.Detect()
	if l.Version != VersionV2 || l.Own != userCgroup {
		t.Fatalf("layout %+v", l)
	}
	d, err := h.Delegated(l, []string{"memory", "cpu", "pids"})
	if err != nil {
		t.Fatal(err)
	}
	if d.Base != filepath.Dir(userCgroup) {
		t.Fatalf("base %s, want the parent of the process's own cgroup", d.Base)
	}
}

func TestV2NotDelegated(t *testing.T) {
	h := fakeHost(t, os.Getuid()+1, v2Tree("cpu memory pids")) // owned by someone else
	_, err := h.Delegated(h.Detect(), []string{"memory"})
	if err == nil || !strings.Contains(err.Error(), "no cgroup above "+userCgroup+" belongs to you") {
		t.Fatalf("error %v", err)
	}
}

func TestV2MissingController(t *testing.T) {
	h := fakeHost(t, os.Getuid(), v2Tree("cpu pids"))
	_, err := h.Delegated(h.Detect(), []string{"memory"})
	if err == nil || !strings.Contains(err.Error(), "offers only: cpu pids") {
		t.Fatalf("error %v", err)
	}
}

func TestCreateWritesLimits(t *testing.T) {
	h := fakeHost(t, os.Getuid(), v2Tree("cpu memory pids"))
	d, err := h.Delegated(h.Detect(), []string{"memory", "cpu", "pids"})
	if err != nil {
		t.Fatal(err)
	}
	mem, swap, quota, period, shares, pids := int64(512<<20), int64(1<<30), int64(150000), uint64(100000), uint64(512), int64(64)
	r := &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: &mem, Swap: &swap},
		CPU:    &specs.LinuxCPU{Quota: &quota, Period: &period, Shares: &shares},
		Pids:   &specs.LinuxPids{Limit: &pids},
	}
	rel, err := h.Create(d, "abc", r)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"memory.max": "536870912", "memory.swap.max": "536870912",
		"cpu.max": "150000 100000", "cpu.weight": "20", "pids.max": "64"}
	for f, v := range want {
		if got := h.read(filepath.Join(d.Mount, rel, f)); got != v {
			t.Errorf("%s = %q, want %q", f, got, v)
		}
	}
}

// TestRuntimeNeedsUnified: a runtime that applies limits itself uses
// /sys/fs/cgroup, so a cgroup2 delegated at /sys/fs/cgroup/unified on a
// hybrid host is refused for it (the host could write there itself), and
// a unified host gives both the same delegation.
func TestRuntimeNeedsUnified(t *testing.T) {
	files := map[string]string{"/proc/self/cgroup": "4:memory:/\n0::/u\n"}
	for _, dir := range []string{"/", "/u"} {
		files[filepath.Join("/sys/fs/cgroup/unified", dir, "cgroup.controllers")] = "memory"
	}
	h := fakeHost(t, os.Getuid(), files)
	l := h.Detect()
	if _, err := h.Delegated(l, []string{"memory"}); err != nil {
		t.Fatalf("the host may write into a delegated cgroup2 of a hybrid host: %v", err)
	}
	_, err := h.DelegatedForRuntime(l, []string{"memory"})
	if err == nil || !strings.Contains(err.Error(), "this host has cgroup v1") {
		t.Fatalf("error %v", err)
	}
	h = fakeHost(t, os.Getuid(), v2Tree("cpu memory pids"))
	d, err := h.DelegatedForRuntime(h.Detect(), []string{"memory"})
	if err != nil || d.PathFor("abc") != filepath.Join(filepath.Dir(userCgroup), "rrun-abc") {
		t.Fatalf("delegation %+v, %v", d, err)
	}
}
