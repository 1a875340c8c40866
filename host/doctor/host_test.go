package doctor

import (
	"os"
	"strings"
	"testing"
)

func TestCgroupLayouts(t *testing.T) {
	v1 := "25 1 0:22 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
	cases := []struct {
		name, mountinfo string
		writable        bool
		status          Status
		evidence, fix   string
	}{
		{"v2 delegated", "", true, StatusOK, "delegated", ""},
		{"v2 not writable", "", false, StatusWarn, "not delegated: cpu memory pids", "Delegate="},
		{"v1", v1, true, StatusWarn, "cgroup v1", "systemd.unified_cgroup_hierarchy=1"},
		{"hybrid", v1 + "30 1 0:26 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n", true, StatusWarn, "hybrid", "cgroup_no_v1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFake(t)
			if c.mountinfo != "" {
				f.write(t, "/proc/self/mountinfo", c.mountinfo)
			}
			f.Writable = func(string) bool { return c.writable }
			r, rep := f.result(t, "cgroups")
			expect(t, r, c.status, c.fix)
			if !strings.Contains(r.Evidence, c.evidence) || !rep.OK {
				t.Fatalf("want evidence %q and an ok report: %+v", c.evidence, r)
			}
		})
	}
}

func TestRuntimeDir(t *testing.T) {
	f := newFake(t)
	delete(f.env, "XDG_RUNTIME_DIR")
	r, _ := f.result(t, "runtime-dir")
	expect(t, r, StatusWarn, "XDG_RUNTIME_DIR")
	if !strings.Contains(r.Evidence, "/tmp/rrun-1000") {
		t.Fatalf("want the fallback named: %+v", r)
	}
	f = newFake(t)
	f.files["/run/user/1000"] = FileInfo{Mode: 0o755 | os.ModeDir, UID: 1000, IsDir: true}
	r, _ = f.result(t, "runtime-dir")
	expect(t, r, StatusWarn, "chmod 0700 /run/user/1000")
}

func TestStorageProblems(t *testing.T) {
	f := newFake(t)
	f.ProbeOverlay = func(string) error { return os.ErrPermission }
	f.Statfs = func(string) (FSInfo, error) { return FSInfo{Type: 0x6969, Avail: 1 << 30}, nil }
	rep := Run(f.Host)
	want := map[string]string{"storage-fs": "XDG_DATA_HOME", "overlay": "vfs", "disk-space": "free space"}
	for _, r := range rep.Checks {
		if fix, ok := want[r.ID]; ok {
			expect(t, r, StatusWarn, fix)
		}
	}
	if !rep.OK {
		t.Fatal("vfs still works: the report must be ok")
	}
}

func TestUnwritableDataDirFails(t *testing.T) {
	if os.Getuid() == 0 {
		t.Skip("root writes anywhere")
	}
	f := newFake(t)
	ro := t.TempDir()
	if err := os.Chmod(ro, 0o500); err != nil {
		t.Fatal(err)
	}
	f.DataDir = ro + "/data/rrun"
	r, _ := f.result(t, "storage-fs")
	expect(t, r, StatusFail, "XDG_DATA_HOME")
}
