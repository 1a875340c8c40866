package testsuite

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/rrun-project/rrun/plugins/api"
	"github.com/rrun-project/rrun/plugins/testsuite/fixtures"
)

// sessionEnv marks a test binary that already runs in its test session.
const sessionEnv = "RRUN_TESTSUITE_SESSION"

// ReexecInSession makes a test binary act like an rrun session, for tests
// of isolation backends. Call it from TestMain:
//
//	if code, done := testsuite.ReexecInSession(); done {
//		os.Exit(code)
//	}
//	os.Exit(m.Run())
//
// Run as an unprivileged user, it re-runs the binary under unshare(1) as
// uid 0 of a new user and mount namespace, with the user's subordinate id
// range as uids 1..N when /etc/subuid has one (as rrun's session maps
// them), and returns the exit code with done set. It does nothing (done
// false) inside the session, as real root, or when unshare fails: the
// tests then skip through RequireUserNS.
func ReexecInSession() (code int, done bool) {
	if os.Getenv(sessionEnv) != "" || os.Geteuid() == 0 {
		return 0, false
	}
	args := []string{"--map-root-user", "--mount", "--propagation", "private"}
	if u, err := user.Current(); err == nil {
		if r, ok := subIDRange("/etc/subuid", u.Username, u.Uid); ok {
			args = append(args, "--map-users="+r)
		}
		if r, ok := subIDRange("/etc/subgid", u.Username, u.Uid); ok {
			args = append(args, "--map-groups="+r)
		}
	}
	self, err := os.Executable()
	if err != nil {
		return 0, false
	}
	cmd := exec.Command("unshare", append(append(args, "--", self), os.Args[1:]...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), sessionEnv+"=1")
	err = cmd.Run()
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) && exitErr.ExitCode() >= 0 {
		return exitErr.ExitCode(), true
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "testsuite: cannot enter a user namespace (%v); container tests will skip\n", err)
		return 0, false
	}
	return 0, true
}

// subIDRange returns "start,1,count" for unshare --map-users from the
// first line of file for the user.
func subIDRange(file, name, uid string) (string, bool) {
	f, err := os.Open(file)
	if err != nil {
		return "", false
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		parts := strings.Split(strings.TrimSpace(s.Text()), ":")
		if len(parts) != 3 || (parts[0] != name && parts[0] != uid) {
			continue
		}
		if _, err := strconv.ParseUint(parts[1], 10, 32); err != nil {
			continue
		}
		return parts[1] + ",1," + parts[2], true
	}
	return "", false
}

// RequireUserNS skips the test unless it runs as uid 0 of a user namespace
// other than the initial one, where an isolation backend can work without
// privileges. Real root fails the test on purpose: tests must not pass by
// running containers as root, nor report ok while testing nothing.
func RequireUserNS(t *testing.T) {
	t.Helper()
	data, err := os.ReadFile("/proc/self/uid_map")
	if err != nil {
		t.Skipf("needs a user namespace: %v", err)
	}
	initial := strings.Fields(string(data))
	if len(initial) == 3 && initial[0] == "0" && initial[1] == "0" && initial[2] == "4294967295" {
		if os.Geteuid() == 0 {
			t.Fatal(fixtures.RealRootMsg) // an ok here would test nothing
		}
		t.Skip("needs a user namespace: run the tests as an unprivileged user (TestMain calls testsuite.ReexecInSession)")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs to be uid 0 of its user namespace")
	}
}

// DialIsolation starts cmd as a go-plugin isolation plugin and returns the
// Isolation it serves; the plugin is killed when the test ends. Its log
// lines go to the test log.
func DialIsolation(t *testing.T, cmd *exec.Cmd) api.Isolation {
	t.Helper()
	w := &testWriter{t: t}
	t.Cleanup(w.stop) // runs last: go-plugin may log while it kills the plugin
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  api.Handshake,
		VersionedPlugins: api.PluginSets(),
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           hclog.New(&hclog.LoggerOptions{Name: "plugin", Level: testLogLevel(), Output: w}),
	})
	t.Cleanup(client.Kill)
	rpc, err := client.Client()
	if err != nil {
		t.Fatalf("failed to start isolation plugin %s: %v", cmd.Path, err)
	}
	raw, err := rpc.Dispense(api.KindIsolation)
	if err != nil {
		t.Fatalf("failed to dispense isolation from plugin %s: %v", cmd.Path, err)
	}
	iso, ok := raw.(api.Isolation)
	if !ok {
		t.Fatalf("plugin %s dispensed %T, not an isolation backend", cmd.Path, raw)
	}
	if _, err := iso.Info(context.Background()); err != nil {
		t.Fatalf("Info over RPC: %v", err)
	}
	return iso
}

// testWriter sends log lines to t.Log until the test ends, and drops
// them after: t.Log then panics.
type testWriter struct {
	t       *testing.T
	mu      sync.Mutex
	stopped bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.stopped {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

func (w *testWriter) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped = true
}

// testLogLevel shows the plugin's debug lines with go test -v only.
func testLogLevel() hclog.Level {
	if testing.Verbose() {
		return hclog.Debug
	}
	return hclog.Warn
}
