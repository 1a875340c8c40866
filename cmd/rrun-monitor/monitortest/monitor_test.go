package monitortest

import (
	"bytes"
	"debug/elf"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rrun-project/rrun/test/testproc"

	"github.com/rrun-project/rrun/host/monitor"
	"github.com/rrun-project/rrun/host/monitor/handoff"
	"github.com/rrun-project/rrun/host/monitor/logline"
)

// Every detached container keeps one rrun-monitor resident: it stays a
// static binary (it runs wherever rrun does, and links no shared library
// whose private pages each copy would pay) of well under 1 MB.
func TestBinaryStaysSmallAndStatic(t *testing.T) {
	if os.Getenv(binaryEnv) != "" {
		t.Skip(binaryEnv + " names another build")
	}
	bin := monitorBinary(t)
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Fatalf("rrun-monitor is dynamically linked (%v): build it with make monitor", p.Type)
		}
	}
	if fi, _ := os.Stat(bin); fi.Size() > 1<<20 {
		t.Fatalf("rrun-monitor is %d bytes, want under 1 MiB", fi.Size())
	}
}

// The container's output reaches its log byte for byte as the monitor in
// rrun writes it (host/monitor/logline): one entry per line, a line
// split across writes joined, the last line without a newline kept,
// whatever bytes the container prints.
func TestLogsAreLoglineBytes(t *testing.T) {
	data := t.TempDir()
	var all []byte
	for b := 0; b < 256; b++ {
		all = append(all, byte(b))
	}
	files := map[string]string{
		"out1": "one\ntw",
		"out2": "o\n\"quoted\" \\ back \t tab \r cr \x00 nul \x1b esc \x7f del\nutf8 é 日本 😀 \uFFFD \u2028 <html>&</html>\n" +
			"bad \xff \xfe \xc0\x80 \xed\xa0\x80 \xf4\x90\x80\x80 \xe2\x82 \xf0\x9f\x98 \xc3 end\nlast",
		"err1": "err\n" + string(all) + "\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(data, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	before := time.Now()
	c := start(t, options{init: "cat " + data + "/out1; cat " + data + "/err1 >&2; sleep 0.2; cat " + data + "/out2"})
	c.wait()
	if r := c.record("resume"); !reflect.DeepEqual(r.Args[1:], []string{"--log-level", "a b%", "__monitor", "0123456789abcdef0123", "--resume", "0"}) {
		t.Fatalf("resume: %q", r.Args)
	}
	want := map[string][]string{"stdout": splitLines(files["out1"] + files["out2"]), "stderr": splitLines(files["err1"])}
	raw, _ := os.ReadFile(c.log)
	for _, line := range bytes.SplitAfter(raw, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var e struct{ T, S string }
		if err := json.Unmarshal(line, &e); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		at, err := time.Parse(time.RFC3339Nano, e.T)
		if err != nil || at.UTC().Format(time.RFC3339Nano) != e.T || at.Before(before.Add(-time.Second)) || at.After(time.Now()) {
			t.Fatalf("time %q of %q: %v", e.T, line, err)
		}
		if len(want[e.S]) == 0 {
			t.Fatalf("unexpected entry %q", line)
		}
		if ref := logline.AppendEntries(nil, at.UTC(), e.S, [][]byte{[]byte(want[e.S][0])}); !bytes.Equal(line, ref) {
			t.Fatalf("entry\n %q\nwant (logline)\n %q", line, ref)
		}
		want[e.S] = want[e.S][1:]
	}
	if len(want["stdout"])+len(want["stderr"]) > 0 {
		t.Fatalf("not logged: %q", want)
	}
}

// splitLines are the lines of s, each with its newline, and what follows
// the last one.
func splitLines(s string) []string {
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// A line without a newline is cut once 64 KiB of it waited, as rrun's
// monitor cuts it; nothing is lost.
func TestLongLinesAreCut(t *testing.T) {
	c := start(t, options{init: `head -c 200000 /dev/zero | tr '\0' x; echo; echo end`})
	c.wait()
	var got strings.Builder
	entries := c.logEntries()
	for i, e := range entries {
		if l := e["l"]; !strings.HasSuffix(l, "\n") && len(l) < 64<<10 {
			t.Fatalf("entry %d of %d cut at %d bytes", i, len(entries), len(l))
		}
		got.WriteString(e["l"])
	}
	if got.String() != strings.Repeat("x", 200000)+"\nend\n" || len(entries) < 3 {
		t.Fatalf("%d entries, %d bytes", len(entries), got.Len())
	}
}

// Requests as host/monitor's client encodes them get the answers its
// client decodes: ping, stdin (attach), resize, an unknown operation,
// another protocol version, wait and stop (with the container's stop
// signal), then the exit goes to `rrun __monitor --resume` with the owner
// lock and the listener only.
func TestRequestsAsHostMonitorSendsThem(t *testing.T) {
	c := start(t, options{interactive: true, stopTimeout: 10,
		init: `trap 'exit 6' TERM; read line; echo "got $line"; while :; do sleep 0.05; done`})
	conn := c.dial()
	if r := ask(t, conn, monitor.Request{Op: monitor.OpPing}); !r.OK || !r.DelegatesExec {
		t.Fatalf("ping: %+v", r)
	}
	if kb := rssKB(c.cmd.Process.Pid); os.Getenv(binaryEnv) == "" && (kb == 0 || kb > 1024) {
		t.Errorf("rrun-monitor keeps %d kB resident, want under 1 MB", kb)
	} else {
		t.Logf("rrun-monitor keeps %d kB resident", kb)
	}
	if r := ask(t, conn, monitor.Request{Op: monitor.OpStdin, Data: []byte("hello\n")}); !r.OK {
		t.Fatalf("stdin: %+v", r)
	}
	c.waitLog("got hello\n")
	if r := ask(t, conn, monitor.Request{Op: monitor.OpResize, Width: 80, Height: 24}); !r.OK {
		t.Fatalf("resize without a terminal: %+v", r)
	}
	if r := ask(t, conn, monitor.Request{Op: "bogus"}); r.OK || r.Kind != "invalid-argument" || !strings.Contains(r.Error, `"bogus"`) {
		t.Fatalf("unknown operation: %+v", r)
	}
	if r := ask(t, c.dial(), monitor.Request{Version: 99, Op: monitor.OpPing}); r.OK || r.Kind != "failed-precondition" || r.Hint == "" {
		t.Fatalf("another protocol: %+v", r)
	}
	waiter := c.dial()
	send(t, waiter, monitor.Request{Version: monitor.ProtocolVersion, Op: monitor.OpWait})
	if r := ask(t, c.dial(), monitor.Request{Op: monitor.OpStop, Timeout: -1}); !r.OK {
		t.Fatalf("stop: %+v", r)
	}
	if r := receive(t, waiter); !r.OK || !r.Exited || r.ExitCode != 6 {
		t.Fatalf("wait: %+v", r)
	}
	c.wait()
	r := c.record("resume")
	if !reflect.DeepEqual(r.Args[1:], []string{"--log-level", "a b%", "__monitor", "0123456789abcdef0123", "--resume", "6"}) {
		t.Fatalf("resume: %q", r.Args)
	}
	for k, v := range map[string]string{handoff.OwnerFDEnv: strconv.Itoa(fdOwner), handoff.ListenerFDEnv: strconv.Itoa(fdListener),
		handoff.RestartsEnv: "1 500"} {
		if got, _ := envOf(r, k); got != v {
			t.Errorf("resume's %s=%q, want %q", k, got, v)
		}
	}
	if v, ok := envOf(r, handoff.Env); ok {
		t.Errorf("resume got the hand-off state: %q", v)
	}
	if !reflect.DeepEqual(r.Fds, []int{0, 1, 2, fdListener, fdOwner}) {
		t.Errorf("resume's fds: %v, want 0-2, the listener and the owner lock", r.Fds)
	}
}

func rssKB(pid int) int { return testproc.RSSKB(pid) }

// An exec is delegated to `rrun __monitor ID --exec`, which gets the
// request, the connection on fd 3 and the request's fds on 4..., and no
// other fd of rrun-monitor; it answers the client itself.
func TestExecIsDelegatedWithItsFdsOnly(t *testing.T) {
	c := start(t, options{init: `while :; do sleep 0.05; done`})
	r1, w1, _ := os.Pipe()
	defer r1.Close()
	defer w1.Close()
	conn := c.dial()
	req := monitor.Request{Version: monitor.ProtocolVersion, Op: monitor.OpExec, Exec: &monitor.Exec{Args: []string{"sh", "-c", "echo }"}, TTY: true}}
	send(t, conn, req, int(r1.Fd()), int(w1.Fd()))
	if r := receive(t, conn); !r.OK || !r.Started {
		t.Fatalf("exec: %+v", r)
	}
	r := c.record("exec")
	if !reflect.DeepEqual(r.Args[1:], []string{"--log-level", "a b%", "__monitor", "0123456789abcdef0123", "--exec"}) {
		t.Fatalf("exec delegate: %q", r.Args)
	}
	sent, _ := json.Marshal(req)
	if got, _ := envOf(r, handoff.ExecRequestEnv); got != string(sent) {
		t.Errorf("exec request %q, want %q", got, sent)
	}
	if got, _ := envOf(r, handoff.ExecFDsEnv); got != "2" {
		t.Errorf("exec fds %q", got)
	}
	if !reflect.DeepEqual(r.Fds, []int{0, 1, 2, 3, 4, 5}) || !r.Sock {
		t.Errorf("exec delegate's fds: %v (fd 3 a socket: %v), want 0-5", r.Fds, r.Sock)
	}
	if r := ask(t, c.dial(), monitor.Request{Op: monitor.OpKill}); !r.OK {
		t.Fatalf("kill: %+v", r)
	}
	c.wait()
	if r := c.record("resume"); r.Args[len(r.Args)-1] != "137" {
		t.Fatalf("a kill without a signal is SIGKILL: %q", r.Args)
	}
}

// A stop that the container ignores ends in SIGKILL once the stop
// timeout passed.
func TestStopKillsAfterTheTimeout(t *testing.T) {
	c := start(t, options{stopTimeout: 1, init: `trap '' TERM; echo ready; while :; do sleep 0.05; done`})
	c.waitLog("ready\n") // the trap is set
	began := time.Now()
	if r := ask(t, c.dial(), monitor.Request{Op: monitor.OpStop, Timeout: -1}); !r.OK {
		t.Fatalf("stop: %+v", r)
	}
	if d := time.Since(began); d < time.Second {
		t.Fatalf("stop returned after %v, before the stop timeout", d)
	}
	c.wait()
	if r := c.record("resume"); r.Args[len(r.Args)-1] != "137" {
		t.Fatalf("resume: %q", r.Args)
	}
}

// The private network's helper is killed and reaped once the init
// exited, its state dir removed (no symbolic link followed) and its lock
// closed, before the exit is handed back.
func TestNetworkHelperEndsWithTheContainer(t *testing.T) {
	c := start(t, options{interactive: true, netHelper: true, init: `read x; exit 3`})
	helper := 0
	for deadline := time.Now().Add(10 * time.Second); helper == 0 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		helper = childNamed(c.cmd.Process.Pid, "sleep")
	}
	if helper == 0 {
		t.Fatal("no network helper")
	}
	if r := ask(t, c.dial(), monitor.Request{Op: monitor.OpStdin, Data: []byte("go\n")}); !r.OK {
		t.Fatalf("stdin: %+v", r)
	}
	c.wait()
	r := c.record("resume")
	if r.Args[len(r.Args)-1] != "3" || !reflect.DeepEqual(r.Fds, []int{0, 1, 2, fdListener, fdOwner}) {
		t.Fatalf("resume %q with fds %v", r.Args, r.Fds)
	}
	if _, err := os.Stat("/proc/" + strconv.Itoa(helper)); err == nil {
		t.Errorf("the network helper %d outlived the container", helper)
	}
	if _, err := os.Stat(c.netDir); !os.IsNotExist(err) {
		t.Errorf("the network's dir is left: %v", err)
	}
	if _, err := os.Stat(filepath.Join(c.dir, "owner.lock")); err != nil {
		t.Errorf("a symbolic link in the network's dir was followed: %v", err)
	}
}

// A client that connected as the container exited, and sends its request
// only after, gets its answer from rrun-monitor before it execs rrun (not
// a reset connection: `stop` during a --restart always failed so).
func TestAClientConnectedAtTheExitIsAnswered(t *testing.T) {
	c := start(t, options{init: `read x`})
	late := c.dial()
	if r := ask(t, c.dial(), monitor.Request{Op: monitor.OpPing}); !r.OK {
		t.Fatalf("ping: %+v", r) // late is accepted by now
	}
	// The init exits while rrun-monitor is stopped: once it runs again,
	// the exit is all it sees, and late has sent nothing yet.
	mon := c.cmd.Process.Pid
	init := childNamed(mon, "bash")
	_ = syscall.Kill(mon, syscall.SIGSTOP)
	defer syscall.Kill(mon, syscall.SIGCONT)
	_ = syscall.Kill(init, syscall.SIGKILL)
	for deadline := time.Now().Add(10 * time.Second); !isZombie(init) && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	_ = syscall.Kill(mon, syscall.SIGCONT)
	time.Sleep(30 * time.Millisecond)
	send(t, late, monitor.Request{Version: monitor.ProtocolVersion, Op: monitor.OpWait})
	if r := receive(t, late); !r.OK || !r.Exited || r.ExitCode != 137 {
		t.Fatalf("wait: %+v", r)
	}
	c.wait()
}

func isZombie(pid int) bool {
	data, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && len(s) > i+2 && s[i+2] == 'Z'
}

// childNamed is a child of pid whose command is comm, 0 when none.
func childNamed(pid int, comm string) int {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, _ := os.ReadFile("/proc/" + e.Name() + "/stat")
		s := string(data)
		i, j := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if i < 0 || j < i || s[i+1:j] != comm {
			continue
		}
		if f := strings.Fields(s[j+1:]); len(f) > 1 && f[1] == strconv.Itoa(pid) {
			return child
		}
	}
	return 0
}

// A hand-off state of another version is refused with one line naming
// both versions, and exit 125.
func TestRefusesAnotherHandoffVersion(t *testing.T) {
	c := start(t, options{version: 2, init: "true"})
	c.wait()
	if code := c.cmd.ProcessState.ExitCode(); code != 125 || !strings.Contains(c.stderr.String(), "handoff version 2, rrun-monitor speaks 3") {
		t.Fatalf("exit %d, stderr %q", code, c.stderr.String())
	}
}
