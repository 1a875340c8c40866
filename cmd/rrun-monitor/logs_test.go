package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/rrun-project/rrun/host/monitor/handoff"
)

// The container's output reaches its log as rrun's monitor writes it: one
// JSON entry per line, the stream named, a last line without a newline
// kept.
func TestPumpWritesJSONFileLines(t *testing.T) {
	logPath := filepath.Join(t.TempDir(), "container.log")
	lf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	outR, outW, _ := os.Pipe()
	errR, errW, _ := os.Pipe()
	m := newMonitor(handoff.State{Log: int(lf.Fd()), Stdout: int(outR.Fd()), Stderr: int(errR.Fd()), Master: -1, Stdin: -1})
	m.startLogs()
	outW.WriteString("one\ntw")
	outW.WriteString("o\n\"quoted\" \x00\nlast")
	errW.WriteString("err\n")
	outW.Close()
	errW.Close()
	m.pumps.Wait()
	f, _ := os.Open(logPath)
	defer f.Close()
	got := map[string][]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e struct{ T, S, L string }
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil || e.T == "" {
			t.Fatalf("bad entry %q: %v", sc.Text(), err)
		}
		got[e.S] = append(got[e.S], e.L)
	}
	want := []string{"one\n", "two\n", "\"quoted\" \x00\n", "last"}
	if len(got["stdout"]) != len(want) || len(got["stderr"]) != 1 || got["stderr"][0] != "err\n" {
		t.Fatalf("log: %q", got)
	}
	for i, w := range want {
		if got["stdout"][i] != w {
			t.Fatalf("stdout line %d: %q, want %q", i, got["stdout"][i], w)
		}
	}
}
