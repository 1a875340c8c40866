package e2e

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rrun-project/rrun/plugins/testsuite/fixtures"
)

// heldFiles opens what a caller of rrun may hold: a directory (its home),
// a writable file and a socket. They become rrun's fds 7, 8 and 9.
func heldFiles(t *testing.T, e *env) (dir, file string, fds []*os.File) {
	t.Helper()
	dir = filepath.Join(e.home, "secret-dir")
	file = filepath.Join(e.home, "secret-file")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	d := must(os.Open(dir))
	f := must(os.OpenFile(file, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644))
	ln := must(net.ListenUnix("unix", &net.UnixAddr{Name: filepath.Join(e.home, "held.sock"), Net: "unix"}))
	s := must(ln.File())
	t.Cleanup(func() { d.Close(); f.Close(); s.Close(); ln.Close() })
	return dir, file, []*os.File{nil, nil, nil, nil, d, f, s}
}

// runHolding runs rrun with extra open fds.
func (e *env) runHolding(fds []*os.File, args ...string) result {
	e.t.Helper()
	return e.runWith(fds, "", args...)
}

// fdProbe lists the shell's fds and tries to use 7 (a host directory) and
// 8 (a host file) the way CVE-2024-21626 did.
const fdProbe = `echo fds:; ls /proc/$$/fd; echo end; ls /proc/$$/fd/7/ 2>/dev/null && echo listed; ` +
	`echo x > /proc/$$/fd/7/escaped 2>/dev/null && echo wrote-dir; echo y >&8 2>/dev/null && echo wrote-file; true`

func checkNoLeak(t *testing.T, what, out, dir, file string) {
	t.Helper()
	if !strings.Contains(out, "fds:\n0\n1\n2\nend\n") {
		t.Errorf("%s: the container must start with fds 0, 1, 2 only: %q", what, out)
	}
	for _, bad := range []string{"listed", "wrote-dir", "wrote-file"} {
		if strings.Contains(out, bad) {
			t.Errorf("%s: the container reached the caller's fds (%s): %q", what, bad, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "escaped")); err == nil {
		t.Errorf("%s: the container wrote into the host directory", what)
	}
	if st, err := os.Stat(file); err != nil || st.Size() != 0 {
		t.Errorf("%s: the container wrote into the host file (%v)", what, err)
	}
}

func TestSecurityInheritedFdsDoNotReachContainer(t *testing.T) {
	e := withBusybox(t)
	dir, file, fds := heldFiles(t, e)
	r := e.runHolding(fds, "run", "--rm", "busybox", "sh", "-c", fdProbe)
	if r.code != 0 {
		t.Fatalf("run: %s", r)
	}
	checkNoLeak(t, "run --rm", r.stdout, dir, file)

	r = e.runHolding(fds, "run", "-d", "busybox", "sh", "-c", fdProbe+"; echo done; sleep 600")
	if r.code != 0 {
		t.Fatalf("run -d: %s", r)
	}
	id := strings.TrimSpace(r.stdout)
	t.Cleanup(func() { e.run("", "rm", "-f", id) })
	checkNoLeak(t, "run -d", e.waitLog(id, "done"), dir, file)

	r = e.runHolding(fds, "exec", id, "sh", "-c", fdProbe)
	if r.code != 0 {
		t.Fatalf("exec: %s", r)
	}
	checkNoLeak(t, "exec", r.stdout, dir, file)
}

func seccompMode(e *env, flags ...string) string {
	return e.out(bb(flags...), "grep '^Seccomp:' /proc/self/status | cut -f2")
}

// TestSecuritySeccompDefault checks docker's default profile is on, that it
// denies what docker denies (unshare without CAP_SYS_ADMIN), and that
// unconfined and --privileged turn it off.
func TestSecuritySeccompDefault(t *testing.T) {
	e := withBusybox(t)
	expect(t, "seccomp mode by default", seccompMode(e), "2")
	expect(t, "unshare under the default profile",
		e.out(bb(), "unshare -U true 2>&1; echo rc=$?"), "unshare: unshare(0x10000000): Operation not permitted\nrc=1")
	expect(t, "seccomp=unconfined", seccompMode(e, "--security-opt", "seccomp=unconfined"), "0")
	expect(t, "unshare unconfined", e.out(bb("--security-opt", "seccomp=unconfined"), "unshare -U true; echo rc=$?"), "rc=0")
	expect(t, "--privileged", seccompMode(e, "--privileged"), "0")
	if fixtures.HasSubUIDs() {
		expect(t, "seccomp for a non-root user", e.out(bb("-u", "1000"), "grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status | cut -f2"), "0\n2")
	}
}

// TestSecuritySeccompProfileFile runs with a profile in docker's JSON
// format: a denied syscall returns the profile's errno.
func TestSecuritySeccompProfileFile(t *testing.T) {
	e := withBusybox(t)
	profile := filepath.Join(e.home, "profile.json")
	json := `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":13}]}`
	if err := os.WriteFile(profile, []byte(json), 0o644); err != nil {
		t.Fatal(err)
	}
	expect(t, "mkdir under the profile", e.out(bb("--security-opt", "seccomp="+profile), "mkdir /tmp/d 2>&1; echo rc=$?"),
		"mkdir: can't create directory '/tmp/d': Permission denied\nrc=1")
	oneLine(t, e.run("", "run", "--rm", "--security-opt", "seccomp="+filepath.Join(e.home, "missing.json"), "busybox", "true"),
		"failed to read seccomp profile")
	if err := os.WriteFile(profile, []byte(`{"defaultAction":`), 0o644); err != nil {
		t.Fatal(err)
	}
	oneLine(t, e.run("", "run", "--rm", "--security-opt", "seccomp="+profile, "busybox", "true"), "invalid seccomp profile")
}

// TestSecuritySeccompExec checks a process `rrun exec` starts gets the
// container's filter.
func TestSecuritySeccompExec(t *testing.T) {
	e := withBusybox(t)
	cases := []struct {
		flags []string
		want  string
	}{
		{nil, "2\nrc=1"},
		{[]string{"--security-opt", "seccomp=unconfined"}, "0\nrc=0"},
	}
	for _, c := range cases {
		id := e.detached(append(c.flags, "busybox", "sleep", "600")...)
		r := e.ok("exec", id, "sh", "-c", "grep '^Seccomp:' /proc/self/status | cut -f2; unshare -U true 2>/dev/null; echo rc=$?")
		expect(t, "exec in a container run with "+strings.Join(c.flags, " "), strings.TrimSpace(r.stdout), c.want)
	}
}

// mountsOf returns the container's mountinfo lines, keyed by mount point.
func mountsOf(t *testing.T, e *env, flags ...string) map[string][]string {
	out := e.out(bb(flags...), "cat /proc/self/mountinfo")
	m := map[string][]string{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) > 5 {
			m[f[4]] = append(m[f[4]], f[5])
		}
	}
	return m
}

func hasOpts(opts string, want ...string) bool {
	have := strings.Split(opts, ",")
	for _, w := range want {
		found := false
		for _, h := range have {
			found = found || h == w
		}
		if !found {
			return false
		}
	}
	return true
}

// TestSecurityPodmanMasksAndMounts checks podman's hardening: /dev noexec,
// each device node once with nosuid and noexec, masks read-only,
// /sys/dev/block masked, podman's default capabilities.
func TestSecurityPodmanMasksAndMounts(t *testing.T) {
	e := withBusybox(t)
	m := mountsOf(t, e)
	if len(m["/dev"]) != 1 || !hasOpts(m["/dev"][0], "nosuid", "noexec") {
		t.Errorf("/dev must be mounted once, nosuid and noexec: %v", m["/dev"])
	}
	for _, dev := range []string{"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"} {
		if len(m[dev]) != 1 || !hasOpts(m[dev][0], "nosuid", "noexec") {
			t.Errorf("%s must be bound once, nosuid and noexec: %v", dev, m[dev])
		}
	}
	for _, p := range []string{"/proc/keys", "/proc/timer_list", "/sys/dev/block", "/sys/firmware", "/proc/sys"} {
		if _, err := os.Stat(p); err != nil {
			continue // this kernel has no such path
		}
		if len(m[p]) != 1 || !hasOpts(m[p][0], "ro") {
			t.Errorf("%s must be masked or read-only once: %v", p, m[p])
		}
	}
	expect(t, "/sys/dev/block is empty", e.out(bb(), "ls /sys/dev/block | wc -l"), "0")
	expect(t, "podman's default capabilities", capEff(e), "00000000800405fb")
	expect(t, "--cap-add NET_RAW restores docker's", capEff(e, "--cap-add", "NET_RAW"), "00000000800425fb")
	expect(t, "--privileged: every capability", capEff(e, "--privileged"), capEff(e, "--cap-add", "ALL"))
	if m := mountsOf(t, e, "--privileged"); len(m["/proc/keys"]) != 0 {
		t.Errorf("--privileged must not mask paths: %v", m["/proc/keys"])
	}
}

// TestSecurityNoSubuid: with a single-uid mapping (the session is the
// only id) the same guarantees hold. `make test` runs it as rrun-nosub.
func TestSecurityNoSubuid(t *testing.T) {
	if fixtures.HasSubUIDs() {
		t.Skip("this user has a subuid range; make test runs this test as rrun-nosub, which has none")
	}
	e := withBusybox(t)
	dir, file, fds := heldFiles(t, e)
	r := e.runHolding(fds, "run", "--rm", "busybox", "sh", "-c", fdProbe)
	if r.code != 0 {
		t.Fatalf("run: %s", r)
	}
	checkNoLeak(t, "run --rm with a single-uid mapping", r.stdout, dir, file)
	expect(t, "seccomp mode with a single-uid mapping", seccompMode(e), "2")
	expect(t, "capabilities with a single-uid mapping", capEff(e), "00000000800405fb")
}
