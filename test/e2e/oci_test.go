package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// isolationOf is the isolation backend a test's rrun uses: the oci backend
// under TestOCIIsolation, else the default ("").
func isolationOf(t *testing.T) string {
	if strings.HasPrefix(t.Name(), "TestOCIIsolation/") {
		return "oci"
	}
	return ""
}

// TestOCIIsolation runs representative run, exec, tty and signal tests
// with `--isolation oci` (RRUN_ISOLATION=oci), on its default runtime
// (crun when installed, else runc).
func TestOCIIsolation(t *testing.T) {
	if _, err := exec.LookPath("crun"); err != nil {
		t.Fatalf("crun is not installed (test/setup-host.sh installs it): %v", err)
	}
	tests := map[string]func(*testing.T){
		"RunAsMappedRoot":  TestRunBusyboxAsMappedRoot,
		"PidOne":           TestCommandIsPidOneAndSeesNoHostProcess,
		"StdoutStderr":     TestStdoutAndStderrStayApart,
		"Stdin":            TestStdinOnlyWithInteractive,
		"ExitCodes":        TestExitCodesFollowDocker,
		"KilledBySignal":   TestContainerKilledBySignalExits128PlusN,
		"SignalsForwarded": TestSignalsAreForwardedToTheContainer,
		"Exec":             TestExecIntoARunningContainer,
		"TTY":              TestTTYIsARealTerminalThatFollowsTheWindowSize,
		"ExecTTY":          TestExecTTYGetsATerminalOfTheUsersSize,
		// Limits: refused on cgroup v1 as native refuses them, applied
		// by the host on a delegated cgroup v2 (each skips on the other).
		"LimitsRefused": TestCILimitsRefusedWithoutCgroupV2NoSubuid,
		"LimitsApplied": TestCILimitsApplied,
	}
	t.Run("UsesOCI", testUsesOCI)
	for name, fn := range tests {
		t.Run(name, fn)
	}
}

// testUsesOCI proves that the tests above do run the oci backend: a
// running container has its state in the oci backend's run dir (the
// runtime's root is there), and none in native's.
func testUsesOCI(t *testing.T) {
	e := withBusybox(t)
	id := strings.TrimSpace(e.ok("run", "-d", "busybox", "sleep", "30").stdout)
	t.Cleanup(func() { e.run("", "rm", "-f", id) })
	isolation := filepath.Join(e.home, "run", "rrun", "isolation")
	if _, err := os.Stat(filepath.Join(isolation, "oci", id)); err != nil {
		t.Fatalf("RRUN_ISOLATION=oci did not run the container with the oci plugin: %v", err)
	}
	if _, err := os.Stat(filepath.Join(isolation, "native", id)); err == nil {
		t.Fatalf("the native plugin holds state of %s too", id)
	}
}

// TestOCIMissingCommandOneLine: with crun and with runc, a command that is
// missing or not executable fails run and exec with one line in docker's
// wording (not the runtime's message too) and 127 / 126.
func TestOCIMissingCommandOneLine(t *testing.T) {
	for _, rt := range []string{"crun", "runc"} {
		t.Run(rt, func(t *testing.T) {
			e := withBusybox(t)
			writeConfig(t, e, "[isolation]\nbackend = \"oci\"\n[isolation.options]\nruntime = \""+rt+"\"\n")
			id := strings.TrimSpace(e.ok("run", "-d", "--network", "none", "busybox", "sleep", "60").stdout)
			t.Cleanup(func() { e.run("", "rm", "-f", id) })
			cases := []struct {
				cmd  string
				code int
				want string
			}{
				{"nosuchcmd", 127, `rrun: exec: "nosuchcmd": executable file not found in $PATH`},
				{"/nonexistent", 127, `rrun: exec: "/nonexistent": no such file or directory`},
				{"/etc/passwd", 126, `rrun: exec: "/etc/passwd": permission denied`},
			}
			for _, c := range cases {
				for _, args := range [][]string{{"run", "--rm", "--network", "none", "busybox", c.cmd}, {"exec", id, c.cmd}} {
					r := e.run("", args...)
					if r.code != c.code || strings.TrimSpace(r.stderr) != c.want {
						t.Errorf("%v: want %d and the one line %q, got %d and:\n%s", args, c.code, c.want, r.code, r.stderr)
					}
				}
			}
		})
	}
}

// TestPluginDebugLinesOnce: --log-level debug shows each line a plugin
// logs at debug level (the oci backend's runtime command lines), once;
// the default level shows none.
func TestPluginDebugLinesOnce(t *testing.T) {
	e := withBusybox(t)
	r := e.ok("--log-level", "debug", "--isolation", "oci", "run", "--rm", "--network", "none", "busybox", "true")
	starts := 0
	for _, l := range strings.Split(r.stderr, "\n") {
		if strings.Contains(l, `"@module":"isolation.oci"`) && strings.Contains(l, `"@message":"runtime"`) && strings.Contains(l, `"start",`) {
			starts++
		}
	}
	if starts != 1 {
		t.Errorf("--log-level debug must show the plugin's `runtime start` debug line once, saw it %d times:\n%s", starts, r.stderr)
	}
	if r := e.ok("--isolation", "oci", "run", "--rm", "--network", "none", "busybox", "true"); strings.Contains(r.stderr, "isolation.oci") {
		t.Errorf("the default log level must show no plugin debug line:\n%s", r.stderr)
	}
}

// TestOCILimitsRefusedAsNative: the oci backend applies linux.resources
// through its runtime (isolation.resources), and on a host without a
// delegated cgroup v2 (this CI's cgroup v1) a limit is refused before any
// container starts, with the same one line as with native.
func TestOCILimitsRefusedAsNative(t *testing.T) {
	if limitsAvailable() {
		t.Skip("this host delegates cgroup v2 controllers: limits are applied (TestOCIIsolation/LimitsApplied)")
	}
	e := withBusybox(t)
	native := e.run("", "--isolation", "native", "run", "--rm", "--memory", "10m", "busybox", "true")
	ociRun := e.run("", "--isolation", "oci", "run", "--rm", "--memory", "10m", "busybox", "true")
	if native.code != 125 || !strings.Contains(native.stderr, "memory limits need cgroup v2") {
		t.Fatalf("native: want 125 and the reason: %s", native)
	}
	if ociRun.code != native.code || ociRun.stderr != native.stderr {
		t.Fatalf("--isolation oci must refuse --memory as native does:\n native: %s\n oci:    %s", native, ociRun)
	}
	if out := e.ok("--isolation", "oci", "ps", "-a", "-q").stdout; strings.TrimSpace(out) != "" {
		t.Fatalf("a refused run left containers: %q", out)
	}
	if !strings.Contains(e.ok("plugins", "inspect", "isolation/oci").stdout, "isolation.resources") {
		t.Fatal("the oci backend does not announce isolation.resources")
	}
}
