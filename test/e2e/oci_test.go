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
