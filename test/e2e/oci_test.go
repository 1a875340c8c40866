package e2e

import (
	"os/exec"
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
	}
	t.Run("UsesOCI", testUsesOCI)
	for name, fn := range tests {
		t.Run(name, fn)
	}
}

// testUsesOCI proves that the tests above do run the oci backend.
func testUsesOCI(t *testing.T) {
	e := withBusybox(t)
	r := e.ok("--log-level", "debug", "run", "--rm", "busybox", "true")
	if !strings.Contains(r.stderr, `"__plugin", "isolation", "oci"`) {
		t.Fatalf("RRUN_ISOLATION=oci did not start the oci plugin: %s", r)
	}
}
