package format

import (
	"bytes"
	"strings"
	"testing"
)

type row struct {
	ID, Names, RunningFor string
	Labels                map[string]string
}

func TestListTableHasDockerHeadersAndFunctions(t *testing.T) {
	rows := []row{{ID: "abc", Names: "web", RunningFor: "2 minutes ago"}}
	var out bytes.Buffer
	err := List(&out, `table {{.ID}}\t{{upper .Names}}\t{{.RunningFor}}`, "", map[string]string{"ID": "CONTAINER ID", "RunningFor": "CREATED"}, rows)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || strings.Join(strings.Fields(lines[0]), " ") != "CONTAINER ID NAMES CREATED" || !strings.Contains(lines[1], "WEB") {
		t.Fatalf("got %q", out.String())
	}
}

func TestListFunctions(t *testing.T) {
	rows := []row{{ID: "abcdef", Names: "a,b", Labels: map[string]string{"k": "v"}}}
	cases := map[string]string{
		`{{truncate .ID 3}}`:              "abc",
		`{{join (split .Names ",") "+"}}`: "a+b",
		`{{json .Labels}}`:                `{"k":"v"}`,
		`{{title "hello world"}}`:         "Hello World",
		`{{lower "AB"}}|{{pad .ID 1 1}}|`: "ab| abcdef |",
		`{{println .ID}}`:                 "abcdef\n",
		`json`:                            `{"ID":"abcdef","Names":"a,b","RunningFor":"","Labels":{"k":"v"}}`,
		`{{.ID}}\t{{.Names}}`:             "abcdef\ta,b",
	}
	for f, want := range cases {
		var out bytes.Buffer
		if err := List(&out, f, "", nil, rows); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if got := strings.TrimSuffix(out.String(), "\n"); got != want {
			t.Errorf("%s: got %q, want %q", f, got, want)
		}
	}
}

func TestObjectFallsBackToJSON(t *testing.T) {
	type obj struct {
		ID    string `json:"Id"`
		State struct{ ExitCode int }
	}
	var o obj
	o.ID, o.State.ExitCode = "x", 3
	var out bytes.Buffer
	if err := Object(&out, `{{.Id}} {{.State.ExitCode}}`, []obj{o}); err != nil {
		t.Fatal(err)
	}
	if out.String() != "x 3\n" {
		t.Fatalf("got %q", out.String())
	}
}

func TestHeader(t *testing.T) {
	for in, want := range map[string]string{"RunningFor": "RUNNING FOR", "ID": "ID", "CreatedAt": "CREATED AT", "MemUsage": "MEM USAGE"} {
		if got := Header(in); got != want {
			t.Errorf("Header(%s) = %q, want %q", in, got, want)
		}
	}
}
