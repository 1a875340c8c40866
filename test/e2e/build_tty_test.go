package e2e

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"
)

// buildOnPty runs `rrun build ARGS` on a terminal and returns what it
// drew there.
func buildOnPty(t *testing.T, e *env, args ...string) string {
	t.Helper()
	cmd, master := startOnPty(t, e, append([]string{"build"}, args...)...)
	got := make(chan []byte, 1)
	go func() {
		var b bytes.Buffer
		_, _ = io.Copy(&b, master) // ends with EIO once rrun exits
		got <- b.Bytes()
	}()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("rrun build on a terminal: %v", err)
	}
	select {
	case b := <-got:
		return string(b)
	case <-time.After(20 * time.Second):
		t.Fatal("the terminal's output did not end")
	}
	return ""
}

// TestBuildProgressOnTerminal: on a terminal `rrun build` draws BuildKit's
// compact live view: a "[+] Building" header, a row per step with its
// time, the last lines of a running step's output, which collapse when it
// ends, and a final FINISHED summary; --progress plain there, and any
// build whose stderr is not a terminal, prints plain lines.
func TestBuildProgressOnTerminal(t *testing.T) {
	e := withBusybox(t)
	ctx := buildContext(t, e, map[string]string{"Dockerfile": "FROM busybox\n" +
		"RUN for i in 1 2 3 4 5 6 7 8 9; do echo out-$i; sleep 0.1; done\nRUN echo two\n"})
	out := buildOnPty(t, e, "--network", "none", "-t", "live", ctx)
	last := strings.LastIndex(out, "[+] Building")
	if last < 0 || !strings.Contains(out[last:], "FINISHED") {
		t.Fatalf("no final FINISHED summary on a terminal:\n%q", out)
	}
	final := out[last:]
	for _, want := range []string{"=> [1/3] FROM busybox", "=> [2/3] RUN for i in", "=> [3/3] RUN echo two", "naming to docker.io/library/live:latest"} {
		if !strings.Contains(final, want) {
			t.Errorf("the final summary lacks %q:\n%q", want, final)
		}
	}
	if strings.Contains(final, "=> => # ") {
		t.Errorf("a finished step's output must collapse in the final summary:\n%q", final)
	}
	if !strings.Contains(out, "=> => # out-3") || !strings.Contains(out, "\x1b[") {
		t.Errorf("the live view must show a running step's last output lines, redrawn in place:\n%q", out)
	}
	if strings.Contains(out, "#2 ") {
		t.Errorf("the live view must not print plain lines:\n%q", out)
	}
	plain := buildOnPty(t, e, "--network", "none", "--progress", "plain", ctx)
	if strings.Contains(plain, "[+] Building") || !strings.Contains(plain, "#2 CACHED") {
		t.Errorf("--progress plain on a terminal must print plain lines:\n%q", plain)
	}
	if r := buildOK(t, e, "--progress", "auto", ctx); strings.Contains(r.stderr, "[+] Building") || !strings.Contains(r.stderr, "#3 CACHED") {
		t.Errorf("--progress auto off a terminal must print plain lines:\n%s", r.stderr)
	}
}
