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

// Requests as host/monitor's client encodes them are read; answers are
// what its client decodes.
func TestWireMatchesHostMonitor(t *testing.T) {
	r, err := parseRequest([]byte(`{"version":1,"op":"stdin","timeout":-1,"exec":{"args":["a","}"],"tty":true},"data":"aGVsbG8K","width":80,"height":24}`))
	if err != nil || r.Version != 1 || r.Op != "stdin" || r.Timeout != -1 || string(r.Data) != "hello\n" || r.Width != 80 || r.Height != 24 {
		t.Fatalf("parsed %+v, %v", r, err)
	}
	for _, bad := range []string{`{"op":"x"`, `{"data":"abc"}`, `{"op":"x"} tail`, `[]`} {
		if _, err := parseRequest([]byte(bad)); err == nil {
			t.Errorf("%s must be refused", bad)
		}
	}
	var got struct {
		OK       bool   `json:"ok"`
		Error    string `json:"error"`
		Kind     string `json:"kind"`
		Exited   bool   `json:"exited"`
		ExitCode int    `json:"exit_code"`
	}
	if err := json.Unmarshal(response{Error: "a \"quoted\" <err>", Kind: "internal", Exited: true, ExitCode: 137}.encode(), &got); err != nil {
		t.Fatal(err)
	}
	if got.OK || got.Error != "a \"quoted\" <err>" || got.Kind != "internal" || !got.Exited || got.ExitCode != 137 {
		t.Fatalf("answer read back as %+v", got)
	}
	for _, s := range []string{"", "YQ==", "YWI=", "YWJj"} {
		if _, ok := decodeBase64(s); !ok {
			t.Errorf("base64 %q refused", s)
		}
	}
}
