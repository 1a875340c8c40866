package container

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/rrun-project/rrun/plugins/api"
)

func parseRun(t *testing.T, args ...string) (RunOptions, error) {
	t.Helper()
	var o RunOptions
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	AddRunFlags(fs, &o)
	err := fs.Parse(args)
	return o, err
}

func TestAddRunFlagsParse(t *testing.T) {
	dir := t.TempDir()
	envFile := filepath.Join(dir, "env")
	os.WriteFile(envFile, []byte("\xef\xbb\xbf# comment\nA=file\n\n  B= spaced \"q\" \nFROM_CALLER\nUNSET_X\n"), 0o644)
	t.Setenv("FROM_CALLER", "yes")
	o, err := parseRun(t, "-d", "--name", "web", "-it", "-e", "A=flag", "--env-file", envFile, "-w", "/w", "-u", "1:2",
		"--entrypoint", "", "-v", "/a:/b", "--mount", "dst=/m", "--tmpfs", "/t", "--read-only", "-h", "box",
		"--network", "none", "--rm", "--init", "--stop-signal", "SIGINT", "--stop-timeout", "3", "--cap-add", "NET_ADMIN",
		"--cap-drop", "ALL", "--security-opt", "no-new-privileges", "--ulimit", "nofile=1:2", "-l", "k=v", "-l", "bare", "--pull", "never")
	if err != nil {
		t.Fatal(err)
	}
	three := 3
	want := RunOptions{
		Detach: true, Name: "web", Interactive: true, TTY: true,
		Env:     []string{"A=file", `B= spaced "q" `, "FROM_CALLER=yes", "A=flag"},
		Workdir: "/w", User: "1:2", Entrypoint: strp(""), Volumes: []string{"/a:/b"}, Mounts: []string{"dst=/m"},
		Tmpfs: []string{"/t"}, ReadOnly: true, Hostname: "box", Network: "none", Remove: true, Init: true,
		StopSignal: "SIGINT", StopTimeout: &three, CapAdd: []string{"NET_ADMIN"}, CapDrop: []string{"ALL"},
		SecurityOpt: []string{"no-new-privileges"}, Ulimits: []string{"nofile=1:2"},
		Labels: map[string]string{"k": "v", "bare": ""}, Pull: "never",
	}
	if !reflect.DeepEqual(o, want) {
		t.Fatalf("got  %+v\nwant %+v", o, want)
	}
	if o, _ := parseRun(t); o.Entrypoint != nil || o.StopTimeout != nil || o.Pull != "missing" {
		t.Fatalf("unset flags must stay unset: %+v", o)
	}
}

func TestEnvFileErrors(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{"space": "MY VAR=1\n", "noname": "=1\n", "utf8": "A=\xff\n"} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o644)
		if _, err := readEnvFile(p); !errors.Is(err, api.ErrInvalidArgument) || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("%s: want a line-1 ErrInvalidArgument, got %v", name, err)
		}
	}
	if _, err := parseRun(t, "--env-file", filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "cannot read env file") {
		t.Errorf("missing file: got %v", err)
	}
}

func TestResolveRefusesBadInput(t *testing.T) {
	bad := map[string]RunOptions{
		"relative workdir": {Workdir: "w"},
		"bad ulimit":       {Ulimits: []string{"nofile=2:1"}},
		"unknown ulimit":   {Ulimits: []string{"files=1"}},
		"unknown cap":      {CapAdd: []string{"CAP_FLY"}},
		"bad volume":       {Volumes: []string{"/h:rel"}},
		"bad mount":        {Mounts: []string{"type=bind,dst=/c"}},
		"missing bind src": {Mounts: []string{"type=bind,src=/does/not/exist,dst=/c"}},
		"bad tmpfs":        {Tmpfs: []string{"rel"}},
		"dup mount":        {Volumes: []string{"/a:/c"}, Tmpfs: []string{"/c"}},
		"private network":  {Network: "bridge"},
		"security opt":     {SecurityOpt: []string{"seccomp=profile.json"}},
		"nnp value":        {SecurityOpt: []string{"no-new-privileges:maybe"}},
		"stop signal":      {StopSignal: "SIGNOPE"},
		"stop timeout":     {StopTimeout: new(int)},
		"pull":             {Pull: "sometimes"},
		"name":             {Name: "a b"},
		"user":             {User: "app:"},
		"env":              {Env: []string{"=x"}},
		"long hostname":    {Hostname: strings.Repeat("h", 65)},
	}
	*bad["stop timeout"].StopTimeout = -2
	for name, o := range bad {
		err := o.Resolve("/cwd")
		if !errors.Is(err, api.ErrInvalidArgument) || api.HintOf(err) == "" || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: want a one-line ErrInvalidArgument with a hint, got %v", name, err)
		}
	}
}

func TestResolveMakesData(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("FROM_CALLER", "yes")
	o := RunOptions{
		Env:     []string{"A=1", "FROM_CALLER", "UNSET_IN_CALLER"},
		Volumes: []string{"./data:/d:ro", "name:/n", "/abs:/a"},
		Mounts:  []string{"type=bind,src=.,dst=/m,readonly"},
		Remove:  true, Detach: true, Network: "host",
		SecurityOpt: []string{"seccomp=unconfined"},
	}
	if err := o.Resolve(dir); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	want := RunOptions{
		Env:     []string{"A=1", "FROM_CALLER=yes"},
		Volumes: []string{dir + "/data:/d:ro", "name:/n", "/abs:/a"},
		Mounts:  []string{"type=bind,src=" + dir + ",dst=/m,readonly"},
		Remove:  true, Detach: true, Network: "host", Hostname: host,
		SecurityOpt: []string{"seccomp=unconfined"},
	}
	if !reflect.DeepEqual(o, want) {
		t.Fatalf("got  %+v\nwant %+v", o, want)
	}
	if err := o.Resolve("/elsewhere"); err != nil || !reflect.DeepEqual(o, want) {
		t.Fatalf("Resolve is not idempotent: %+v %v", o, err)
	}
}

func TestParseSignal(t *testing.T) {
	for in, want := range map[string]int{"SIGTERM": 15, "term": 15, "9": 9, "SIGRTMIN+2": 36, "RTMAX": 64} {
		if got, err := ParseSignal(in); err != nil || int(got) != want {
			t.Errorf("%q: got %d %v, want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "0", "65", "SIGNOPE", "RTMIN+40"} {
		if _, err := ParseSignal(bad); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}
