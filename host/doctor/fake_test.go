package doctor

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fake is a healthy host made of files under a temp dir; each test breaks
// one thing.
type fake struct {
	*Host
	files map[string]FileInfo // Stat answers for these paths before the disk
	tools map[string]bool     // names LookPath finds in /usr/bin
	env   map[string]string
}

func newFake(t *testing.T) *fake {
	t.Helper()
	root := t.TempDir()
	f := &fake{
		files: map[string]FileInfo{},
		tools: map[string]bool{"newuidmap": true, "newgidmap": true, "fuse-overlayfs": true, "slirp4netns": true, "pasta": true},
		env:   map[string]string{},
	}
	f.Host = &Host{
		Root: root, UID: 1000, GID: 1000, User: "alice",
		DataDir:      filepath.Join(t.TempDir(), "data", "rrun"),
		Getenv:       func(k string) string { return f.env[k] },
		LookPath:     f.lookPath,
		Stat:         f.stat,
		FileCaps:     func(string) ([]byte, error) { return nil, errors.New("no xattr") },
		Statfs:       func(string) (FSInfo, error) { return FSInfo{Type: 0xEF53, Avail: 50 << 30}, nil },
		CanOpen:      func(string) error { return nil },
		Writable:     func(string) bool { return true },
		TryUserNS:    func() error { return nil },
		TryIDMap:     func(string, string, []IDRange, []IDRange) error { return nil },
		ProbeOverlay: func(string) error { return nil },
		ProbeProc:    func() error { return nil },
		Libseccomp:   func() (string, error) { return "2.5.4", nil },
	}
	f.write(t, "/proc/sys/kernel/seccomp/actions_avail", "kill_process kill_thread trap errno user_notif trace log allow\n")
	f.write(t, "/etc/subuid", "bob:100000:65536\nalice:165536:65536\n")
	f.write(t, "/etc/subgid", "bob:100000:65536\nalice:165536:65536\n")
	f.write(t, "/proc/sys/user/max_user_namespaces", "15000\n")
	f.write(t, "/proc/self/mountinfo", "30 1 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n")
	f.write(t, "/proc/self/cgroup", "0::/user.slice/user-1000.slice/user@1000.service\n")
	f.write(t, "/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/cgroup.controllers", "cpuset cpu io memory pids\n")
	f.write(t, "/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/cgroup.subtree_control", "\n")
	for _, tool := range []string{"/usr/bin/newuidmap", "/usr/bin/newgidmap"} {
		f.files[tool] = FileInfo{Mode: 0o755 | os.ModeSetuid, UID: 0}
	}
	f.env["XDG_RUNTIME_DIR"] = "/run/user/1000"
	f.files["/run/user/1000"] = FileInfo{Mode: 0o700 | os.ModeDir, UID: 1000, IsDir: true}
	return f
}

func (f *fake) write(t *testing.T, p, text string) {
	t.Helper()
	full := f.path(p)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (f *fake) lookPath(name string) (string, error) {
	if f.tools[name] {
		return "/usr/bin/" + name, nil
	}
	return "", errors.New("executable file not found in $PATH")
}

func (f *fake) stat(p string) (FileInfo, error) {
	if fi, ok := f.files[p]; ok {
		return fi, nil
	}
	st, err := os.Stat(p)
	if err != nil {
		return FileInfo{}, err
	}
	return FileInfo{Mode: st.Mode(), IsDir: st.IsDir(), UID: f.UID}, nil
}

// result runs the checks and returns the one named id, and the report.
func (f *fake) result(t *testing.T, id string) (Result, Report) {
	t.Helper()
	rep := Run(f.Host)
	for _, r := range rep.Checks {
		if r.ID == id {
			return r, rep
		}
	}
	t.Fatalf("no check %q in %+v", id, rep)
	return Result{}, rep
}

// expect fails the test unless r has status and its fix contains fix.
func expect(t *testing.T, r Result, status Status, fix string) {
	t.Helper()
	if r.Status != status || !strings.Contains(r.Fix, fix) {
		t.Fatalf("want %s with fix containing %q, got %+v", status, fix, r)
	}
}

var errEPERM = fs.ErrPermission
