package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rrun-project/rrun/plugins/testsuite/fixtures"
)

// out runs a busybox container with flags and a shell script and returns
// its trimmed stdout; the run must succeed.
func (e *env) out(flagsAndImage []string, script string) string {
	e.t.Helper()
	return strings.TrimSpace(e.ok(append(flagsAndImage, "sh", "-c", script)...).stdout)
}

func bb(flags ...string) []string {
	return append(append([]string{"run", "--rm"}, flags...), "busybox")
}

func expect(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: got %q, want %q", what, got, want)
	}
}

func TestFlagWorkdir(t *testing.T) {
	e := withBusybox(t)
	expect(t, "-w", e.out(bb("-w", "/tmp"), "pwd"), "/tmp")
}

// requireSubuids skips tests of uids other than 0, which a single-uid
// mapping cannot have.
func requireSubuids(t *testing.T) {
	if !fixtures.HasSubUIDs() {
		t.Skip("needs a subordinate uid range: uids other than 0 are not mapped")
	}
}

func TestFlagUser(t *testing.T) {
	requireSubuids(t)
	e := withBusybox(t)
	expect(t, "-u uid", e.out(bb("-u", "1000"), "id -u; id -g"), "1000\n0")
	expect(t, "-u name", e.out(bb("-u", "nobody"), "id -u; id -g"), "65534\n65534")
	expect(t, "-u uid:gid", e.out(bb("-u", "1000:2000"), "id -u; id -g"), "1000\n2000")
	expect(t, "-u name:group", e.out(bb("-u", "nobody:root"), "id -u; id -g"), "65534\n0")
	oneLine(t, e.run("", "run", "--rm", "-u", "ghost", "busybox", "true"), `"ghost"`)
}

// usersImage is busybox with a user app (1000:1000) that /etc/group lists
// in staff (50) and wheel (10).
func usersImage(t *testing.T, e *env) {
	es, err := fixtures.BusyboxEntries()
	if err != nil {
		t.Fatal(err)
	}
	users := []fixtures.Entry{
		fixtures.File("etc/passwd", 0o644, []byte("root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/:/bin/sh\n")),
		fixtures.File("etc/group", 0o644, []byte("root:x:0:\nwheel:x:10:root,app\nstaff:x:50:app\napp:x:1000:\n")),
	}
	img, err := fixtures.Image(fixtures.BusyboxConfig(), es, users)
	if err != nil {
		t.Fatal(err)
	}
	tar := filepath.Join(e.home, "users.tar")
	if err := fixtures.WriteDockerArchive(tar, img, "example.com/users:1"); err != nil {
		t.Fatal(err)
	}
	e.ok("load", "-q", "-i", tar)
}

func TestFlagUserSupplementaryGroups(t *testing.T) {
	requireSubuids(t)
	e := newEnv(t)
	usersImage(t, e)
	run := func(flags ...string) string {
		args := append(append([]string{"run", "--rm"}, flags...), "example.com/users:1", "id", "-G")
		return strings.TrimSpace(e.ok(args...).stdout)
	}
	expect(t, "-u app", run("-u", "app"), "1000 10 50")
	expect(t, "-u app:staff (explicit group: no supplementary ones)", run("-u", "app:staff"), "50")
	expect(t, "root", run(), "0")
}

func TestFlagEntrypoint(t *testing.T) {
	e := withBusybox(t)
	expect(t, "--entrypoint", strings.TrimSpace(e.ok("run", "--rm", "--entrypoint", "/bin/echo", "busybox", "hi").stdout), "hi")
	expect(t, "--entrypoint ''", strings.TrimSpace(e.ok("run", "--rm", "--entrypoint", "", "busybox", "echo", "ho").stdout), "ho")
}

func TestFlagEnvFile(t *testing.T) {
	e := withBusybox(t)
	file := filepath.Join(e.home, "vars.env")
	body := "# a comment\nA=from file\nB=file\n\nFROM_CALLER\nNOT_SET_ANYWHERE\n"
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	e.vars = append(e.vars, "FROM_CALLER=caller")
	got := e.out(bb("--env-file", file, "-e", "B=flag"), `echo "$A|$B|$FROM_CALLER|${NOT_SET_ANYWHERE-unset}"`)
	expect(t, "--env-file", got, "from file|flag|caller|unset")
	oneLine(t, e.run("", "run", "--rm", "--env-file", file+".missing", "busybox", "true"), "cannot read env file")
}

func TestFlagHostname(t *testing.T) {
	e := withBusybox(t)
	expect(t, "--hostname", e.out(bb("--hostname", "box"), "hostname; echo $HOSTNAME"), "box\nbox")
}

func TestFlagNetworkNone(t *testing.T) {
	e := withBusybox(t)
	got := e.out(bb("--network", "none"), "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '")
	expect(t, "interfaces with --network none", got, "lo")
	oneLine(t, e.run("", "run", "--rm", "--network", "bridge", "busybox", "true"), "is not supported")
}

func capEff(e *env, flags ...string) string {
	return e.out(bb(flags...), "grep CapEff /proc/self/status | cut -f2")
}

func TestFlagCapabilities(t *testing.T) {
	e := withBusybox(t)
	expect(t, "podman's default set", capEff(e), "00000000800405fb")
	expect(t, "--cap-drop ALL", capEff(e, "--cap-drop", "ALL"), "0000000000000000")
	expect(t, "--cap-drop ALL --cap-add NET_ADMIN", capEff(e, "--cap-drop", "ALL", "--cap-add", "NET_ADMIN"), "0000000000001000")
	expect(t, "--cap-add SYS_ADMIN", capEff(e, "--cap-add", "sys_admin"), "00000000802405fb")
	oneLine(t, e.run("", "run", "--rm", "--cap-add", "FLY", "busybox", "true"), "unknown capability")
}

func TestFlagSecurityOptNoNewPrivileges(t *testing.T) {
	e := withBusybox(t)
	nnp := "grep NoNewPrivs /proc/self/status | cut -f2"
	expect(t, "default", e.out(bb(), nnp), "0")
	expect(t, "no-new-privileges", e.out(bb("--security-opt", "no-new-privileges"), nnp), "1")
	oneLine(t, e.run("", "run", "--rm", "--security-opt", "apparmor=x", "busybox", "true"), "not supported")
}

func TestFlagUlimit(t *testing.T) {
	e := withBusybox(t)
	expect(t, "--ulimit nofile=256:512", e.out(bb("--ulimit", "nofile=256:512"), "ulimit -n; ulimit -Hn"), "256\n512")
	oneLine(t, e.run("", "run", "--rm", "--ulimit", "nofile=512:256", "busybox", "true"), "soft limit is above the hard limit")
}
