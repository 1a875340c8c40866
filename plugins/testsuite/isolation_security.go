package testsuite

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rrun-project/rrun/plugins/api"
)

// DockerCapabilities is docker's default capability set.
var DockerCapabilities = []string{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
	"CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
	"CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"}

// dockerCapMask is DockerCapabilities as /proc/self/status shows them.
const dockerCapMask = "00000000a80425fb"

func dockerCaps() *specs.LinuxCapabilities {
	return &specs.LinuxCapabilities{Bounding: DockerCapabilities, Effective: DockerCapabilities,
		Permitted: DockerCapabilities}
}

// capLines returns the CapEff, CapPrm and CapBnd lines of a status file.
const capScript = `grep -E '^Cap(Eff|Prm|Bnd)' /proc/self/status`

func (s *isolationSuite) testCapabilities(t *testing.T) {
	spec := IsolationSpec("sh", "-c", capScript)
	spec.Process.Capabilities = dockerCaps()
	want := "CapPrm:\t" + dockerCapMask + "\nCapEff:\t" + dockerCapMask + "\nCapBnd:\t" + dockerCapMask + "\n"
	if out := s.runOK(t, spec); out != want {
		t.Errorf("capabilities with docker's set:\n%s\nwant\n%s", out, want)
	}
	spec = IsolationSpec("sh", "-c", capScript)
	spec.Process.Capabilities = dockerCaps()
	spec.Process.User = specs.User{UID: 1000, GID: 1000}
	c, err := s.create(t, s.newBackend(t), spec, "")
	if err != nil {
		t.Skipf("uid 1000 is not available here (single-id map?): %v", err)
	}
	if err := c.b.Start(c.ctx, c.id); err != nil {
		t.Fatal(err)
	}
	c.wait()
	want = "CapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapBnd:\t" + dockerCapMask + "\n"
	if out, _ := c.output(); out != want {
		t.Errorf("capabilities of uid 1000 with docker's set:\n%s\nwant\n%s", out, want)
	}
}

func (s *isolationSuite) testNoNewPrivileges(t *testing.T) {
	spec := IsolationSpec("grep", "NoNewPrivs", "/proc/self/status")
	if out := s.runOK(t, spec); out != "NoNewPrivs:\t0\n" {
		t.Errorf("without no_new_privs: %q", out)
	}
	spec.Process.NoNewPrivileges = true
	if out := s.runOK(t, spec); out != "NoNewPrivs:\t1\n" {
		t.Errorf("with no_new_privs: %q", out)
	}
}

func (s *isolationSuite) testRlimits(t *testing.T) {
	spec := IsolationSpec("sh", "-c", "ulimit -n; ulimit -Hn")
	spec.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 123, Hard: 456}}
	if out := s.runOK(t, spec); out != "123\n456\n" {
		t.Errorf("ulimit -n, -Hn with RLIMIT_NOFILE 123/456: %q", out)
	}
}

func (s *isolationSuite) testReadonlyRootfs(t *testing.T) {
	spec := IsolationSpec("sh", "-c", "touch /x 2>&1; touch /dev/shm/x && echo shm ok")
	spec.Root.Readonly = true
	if out := s.runOK(t, spec); !strings.Contains(out, "Read-only file system") || !strings.Contains(out, "shm ok") {
		t.Errorf("a read-only rootfs: %q, want / read-only and /dev/shm writable", out)
	}
}

func (s *isolationSuite) testMounts(t *testing.T) {
	host := t.TempDir()
	isoWriteFile(t, filepath.Join(host, "f"), "from host\n")
	spec := IsolationSpec("sh", "-c", `cat /mnt/ro/f; echo new > /mnt/rw/g
touch /mnt/ro/h 2>/dev/null && echo ro is writable
cat /etc/hostfile; touch /etc/hostfile 2>/dev/null && echo file bind is writable
stat -c %a /scratch; grep ' /scratch ' /proc/mounts | grep -o 'size=[0-9]*k'; echo x > /scratch/y && echo tmpfs ok`)
	spec.Mounts = append(spec.Mounts,
		specs.Mount{Destination: "/mnt/ro", Type: "bind", Source: host, Options: []string{"rbind", "ro"}},
		specs.Mount{Destination: "/mnt/rw", Type: "bind", Source: host, Options: []string{"rbind", "rw", "nosuid"}},
		specs.Mount{Destination: "/etc/hostfile", Type: "bind", Source: filepath.Join(host, "f"), Options: []string{"bind", "ro"}},
		specs.Mount{Destination: "/scratch", Type: "tmpfs", Source: "tmpfs", Options: []string{"size=1m", "mode=1777"}})
	want := "from host\nfrom host\n1777\nsize=1024k\ntmpfs ok\n"
	if out := s.runOK(t, spec); out != want {
		t.Errorf("bind and tmpfs mounts: %q, want %q", out, want)
	}
	if g, err := os.ReadFile(filepath.Join(host, "g")); err != nil || string(g) != "new\n" {
		t.Errorf("a write through the rw bind did not reach the host: %q, %v", g, err)
	}
}

// testMountsThroughSymlinks: an image's symlinks on the way to a mount
// destination are followed inside the root filesystem, never on the host
// (an image may point /etc/hosts or a volume's path anywhere): the mounts
// land under the rootfs, where the container finds them through the same
// links, and the host paths the links name stay untouched.
func (s *isolationSuite) testMountsThroughSymlinks(t *testing.T) {
	host, target := t.TempDir(), t.TempDir() // target: what the image's links name on the host
	isoWriteFile(t, filepath.Join(host, "f"), "from host\n")
	escape := *s
	escape.rootfs = func(t *testing.T) []api.Mount {
		ms := s.rootfs(t)
		if len(ms) != 1 || ms[0].Target != "/" {
			t.Fatalf("this case puts links in the rootfs: it needs the rootfs as one bind of a directory, got %+v", ms)
		}
		root := ms[0].Source
		// The links resolve inside the rootfs too (OCI runtimes differ on
		// creating directories through a dangling link; none may follow
		// one on the host).
		isoMkdir(t, filepath.Join(root, target), 0o755)
		for link, to := range map[string]string{
			"etc/abs":  target,                                 // absolute
			"etc/rel":  strings.Repeat("../", 12) + target[1:], // relative, climbing past /
			"etc/file": filepath.Join(target, "hostfile"),      // a file bind's destination itself
		} {
			if err := os.Symlink(to, filepath.Join(root, link)); err != nil {
				t.Fatal(err)
			}
		}
		return ms
	}
	spec := IsolationSpec("sh", "-c", "cat /etc/abs/d/f /etc/rel/d/f /etc/file")
	spec.Mounts = append(spec.Mounts,
		specs.Mount{Destination: "/etc/abs/d", Type: "bind", Source: host, Options: []string{"rbind", "ro"}},
		specs.Mount{Destination: "/etc/rel/d", Type: "bind", Source: host, Options: []string{"rbind", "ro"}},
		specs.Mount{Destination: "/etc/file", Type: "bind", Source: filepath.Join(host, "f"), Options: []string{"bind", "ro"}})
	if out := escape.runOK(t, spec); out != "from host\nfrom host\nfrom host\n" {
		t.Errorf("mounts through the image's links: %q, want the host file three times", out)
	}
	if entries, err := os.ReadDir(target); err != nil || len(entries) != 0 {
		t.Errorf("the host dir the image's links name got %v (%v): a mount was made outside the rootfs", entries, err)
	}
}

func (s *isolationSuite) testHostNetwork(t *testing.T) {
	entries, err := os.ReadDir("/sys/class/net")
	if err != nil {
		t.Skipf("no /sys/class/net here: %v", err)
	}
	var want []string
	for _, e := range entries {
		want = append(want, e.Name())
	}
	sort.Strings(want)
	out := s.runOK(t, IsolationSpec("ls", "/sys/class/net"))
	if got := strings.Fields(out); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("interfaces without a network namespace: %q, want the session's %q", got, want)
	}
}
