package e2e

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runBounded is e.run for a command that used to hang: it fails the test
// after a minute instead of hanging it (the plugins' start timeout is 1s
// in these tests, so a minute is never a close call).
func (e *env) runBounded(args ...string) result {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, rrunBin, args...)
	cmd.Env = e.vars
	cmd.WaitDelay = 5 * time.Second // a child that holds our pipes must not hang the test either
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		e.t.Fatalf("rrun %s hung (killed after a minute); stderr so far:\n%s", strings.Join(args, " "), errb.String())
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatalf("rrun %v: %v", args, err)
	}
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

// installBroken puts the misbehaving plugin on the plugin path once per
// file name (rrun-KIND-bad-MODE: it takes its mode from its name), with
// the given start timeout, and returns the directory. Only a test of the
// timeout itself gives a short one: a loaded machine can take seconds to
// start a plugin.
func installBroken(t *testing.T, e *env, timeout string, names ...string) string {
	t.Helper()
	dir := filepath.Join(e.home, "broken")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	data := must(os.ReadFile(filepath.Join(workDir, "badplugin")))
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	e.vars = append(e.vars, "RRUN_PLUGIN_PATH="+dir+":"+pluginDir, "RRUN_PLUGIN_START_TIMEOUT="+timeout)
	return dir
}

// installScript writes a shell-script plugin that starts a child holding
// its stdout and stderr (a `sleep`, whose pid it records so the test can
// kill it), then runs body.
func installScript(t *testing.T, dir, name, body string) {
	t.Helper()
	pidFile := filepath.Join(dir, name+".child")
	script := "#!/bin/sh\nsleep 120 &\necho $! > " + pidFile + "\n" + body + "\n"
	if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if b, err := os.ReadFile(pidFile); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
}

func TestBrokenPluginFailsInOneLine(t *testing.T) {
	cases := []struct {
		name, timeout string
		want          []string
	}{
		// A valid handshake pointing at a dead address used to deadlock.
		{"dead-address", "30s", []string{"storage plugin bad-dead-address", "died during Info: exit status 0"}},
		// A plugin that never shakes hands used to get 60s of silence.
		{"silent", "1s", []string{"storage plugin bad-silent", "did not complete the go-plugin handshake within 1s", "badplugin: thinking about it"}},
		// Garbage used to get 14 lines of boilerplate and a false owner.
		{"garbage", "30s", []string{"storage plugin bad-garbage", `printed "hello, I am not a plugin"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			installBroken(t, e, c.timeout, "rrun-storage-bad-"+c.name)
			r := e.runBounded("--storage", "bad-"+c.name, "images")
			oneLine(t, r, c.want[0])
			for _, w := range c.want[1:] {
				if !strings.Contains(r.stderr, w) {
					t.Fatalf("want %q in: %s", w, r)
				}
			}
			if strings.Contains(r.stderr, "Owner:") {
				t.Fatalf("go-plugin's diagnosis is wrong inside the user namespace: %s", r)
			}
		})
	}
}

func TestBrokenIsolationPluginFailsRun(t *testing.T) {
	e := newEnv(t)
	installBroken(t, e, "30s", "rrun-isolation-bad-dead-address")
	r := e.runBounded("--isolation", "bad-dead-address", "run", "--rm", "busybox", "true")
	oneLine(t, r, "isolation plugin bad-dead-address")
}

// A shell-script plugin whose child keeps the pipes open after the plugin
// ends: rrun used to wait for the child.
func TestScriptPluginWhoseChildHoldsStdout(t *testing.T) {
	e := newEnv(t)
	dir := installBroken(t, e, "30s")
	installScript(t, dir, "rrun-storage-bad-exits", "echo 'badscript: giving up' >&2; exit 3")
	oneLine(t, e.runBounded("--storage", "bad-exits", "images"), "exited before the go-plugin handshake (exit status 3)")
	installScript(t, dir, "rrun-storage-bad", "exec "+filepath.Join(workDir, "badplugin"))
	if r := e.runBounded("--storage", "bad", "images"); r.code != 0 {
		t.Fatalf("a working script plugin: %s", r)
	}
	if r := e.runBounded("plugins", "ls"); r.code != 0 || !strings.Contains(r.stdout, "bad ") {
		t.Fatalf("plugins ls with a working script plugin: %s", r)
	}
}

// plugins ls and info show every plugin, a broken one as one row with its
// error, in a table that stays a table.
func TestPluginsLsAndInfoShowBrokenPlugins(t *testing.T) {
	e := newEnv(t)
	modes := []string{"dead-address", "silent", "garbage", "crash"}
	var names []string
	for _, m := range modes {
		names = append(names, "rrun-storage-bad-"+m)
	}
	// Ten plugins start at once: on a loaded machine that takes seconds.
	installBroken(t, e, "8s", append(names, "rrun-isolation-bad-dead-address")...)
	r := e.runBounded("plugins", "ls")
	if r.code != 0 {
		t.Fatalf("plugins ls: %s", r)
	}
	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	header := strings.Index(lines[0], "CAPABILITIES")
	rows := map[string]string{}
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) < 2 {
			t.Fatalf("a broken row in:\n%s", r.stdout)
		}
		rows[f[1]+"/"+f[0]] = l
	}
	for _, want := range []string{"storage/overlay", "isolation/native", "storage/rootfsdir", "storage/bad-crash"} {
		if l := rows[want]; l == "" || strings.Contains(l, "error:") {
			t.Fatalf("%s must be a healthy row in:\n%s", want, r.stdout)
		}
	}
	for _, want := range []string{"storage/bad-dead-address", "storage/bad-silent", "storage/bad-garbage", "isolation/bad-dead-address"} {
		l := rows[want]
		if !strings.Contains(l, "error:") || strings.Index(l, "error:") != header {
			t.Fatalf("%s must be a row with its error under CAPABILITIES in:\n%s", want, r.stdout)
		}
	}
	if len(rows) != len(lines)-1 {
		t.Fatalf("one row per plugin:\n%s", r.stdout)
	}
	info := e.runBounded("info")
	if info.code != 0 {
		t.Fatalf("info: %s", info)
	}
	_, plugins, _ := strings.Cut(info.stdout, "Plugins:\n")
	if n := len(strings.Split(strings.TrimRight(plugins, "\n"), "\n")); n != len(rows) {
		t.Fatalf("info must show %d plugins, one line each:\n%s", len(rows), info.stdout)
	}
	if !strings.Contains(plugins, "storage/bad-silent error: storage plugin bad-silent (") ||
		!strings.Contains(r.stdout, "did not complete the go-plugin handshake within 8s") {
		t.Fatalf("info must show the broken plugin's error:\n%s", info.stdout)
	}
}

// go-plugin's sockets live in rrun's private run dir while a plugin runs
// and are gone after the command, not piling up in /tmp.
func TestPluginSocketsLeaveNoTrace(t *testing.T) {
	e := withBusybox(t)
	tmp := filepath.Join(e.home, "tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	e.vars = append(e.vars, "TMPDIR="+tmp)
	e.ok("images")
	e.ok("run", "--rm", "busybox", "true")
	e.ok("plugins", "ls")
	_ = filepath.WalkDir(tmp, func(p string, d fs.DirEntry, err error) error {
		if err == nil && p != tmp {
			t.Errorf("left behind in TMPDIR: %s", p)
		}
		return nil
	})
	if left, _ := os.ReadDir(filepath.Join(e.home, "run", "plugins")); len(left) > 0 {
		t.Errorf("plugin socket dirs left in the run dir: %v", left)
	}
}
