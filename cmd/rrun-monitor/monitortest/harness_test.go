package monitortest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rrun-project/rrun/host/monitor"
	"github.com/rrun-project/rrun/host/monitor/handoff"
)

// fakeRrunEnv, when set, makes this test binary play `rrun __monitor ID
// --resume CODE` or `--exec`: it records what it got (record) in the file
// the variable names plus the mode, and answers an exec on fd 3.
const fakeRrunEnv = "RRUN_MONITORTEST_RECORD"

func TestMain(m *testing.M) {
	if out := os.Getenv(fakeRrunEnv); out != "" {
		fakeRrun(out)
		os.Exit(0)
	}
	code := m.Run()
	if binary != "" {
		_ = os.RemoveAll(filepath.Dir(binary)) // the binary make monitor built
	}
	os.Exit(code)
}

// record is what the fake rrun saw.
type record struct {
	Args []string
	Env  []string
	Fds  []int // open fds, but the Go runtime's
	Sock bool  // fd 3 is a socket
}

func fakeRrun(out string) {
	var fds []int
	for fd := 0; fd < 256; fd++ {
		l, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
		if err == nil && !openedByGo(l) {
			fds = append(fds, fd)
		}
	}
	var stat syscall.Stat_t
	r := record{Args: os.Args, Env: os.Environ(), Fds: fds, Sock: syscall.Fstat(3, &stat) == nil && stat.Mode&syscall.S_IFMT == syscall.S_IFSOCK}
	mode := "resume"
	if len(os.Args) > 0 && os.Args[len(os.Args)-1] == "--exec" {
		mode = "exec"
		_, _ = syscall.Write(3, []byte(`{"ok":true,"started":true,"exit_code":0}`))
	}
	data, _ := json.Marshal(r)
	_ = os.WriteFile(out+"."+mode+".tmp", data, 0o600)
	_ = os.Rename(out+"."+mode+".tmp", out+"."+mode)
}

// openedByGo reports whether an fd to target is the Go runtime's own
// (its poller, the cgroup files it reads for GOMAXPROCS), open before
// TestMain runs.
func openedByGo(target string) bool {
	return target == "anon_inode:[eventpoll]" || target == "anon_inode:[eventfd]" || strings.HasPrefix(target, "/sys/fs/cgroup/")
}

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// binaryEnv names a rrun-monitor to test instead of the one make monitor
// builds (one built with -fsanitize=address,undefined, say).
const binaryEnv = "RRUN_MONITORTEST_BINARY"

// monitorBinary builds rrun-monitor as make build does (make monitor).
func monitorBinary(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv(binaryEnv); bin != "" {
		return bin
	}
	buildOnce.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..", "..")
		dir, err := os.MkdirTemp("", "rrun-monitortest")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "rrun-monitor")
		out, err := exec.Command("make", "-s", "-C", root, "monitor", "MONITOR_OUT="+binary).CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("make monitor: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

// container is one rrun-monitor run by a test, with a shell script as
// the container's init.
type container struct {
	t        *testing.T
	dir      string
	sock     string
	log      string
	cmd      *exec.Cmd
	stderr   bytes.Buffer
	exited   chan struct{}
	stdinFD  int // the init's stdin pipe, as rrun-monitor has it
	netDir   string
	listener *os.File
}

type options struct {
	init        string // the init's shell script
	interactive bool
	stopTimeout int
	netHelper   bool // start a private network's helper too
	version     int  // the hand-off version (0: handoff.Version)
}

// fds rrun-monitor inherits, as ExtraFiles place them.
const (
	fdListener = 3 + iota
	fdLog
	fdStdout
	fdStderr
	fdStdin
	fdOwner
	fdNetLock
	fdInitOut // the init's ends, closed before the exec of rrun-monitor
	fdInitErr
	fdInitIn
)

func start(t *testing.T, o options) *container {
	t.Helper()
	bin := monitorBinary(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	c := &container{t: t, dir: dir, sock: filepath.Join(dir, "m.sock"), log: filepath.Join(dir, "container.log"), exited: make(chan struct{})}
	l, err := net.ListenUnix("unixpacket", &net.UnixAddr{Name: c.sock, Net: "unixpacket"})
	if err != nil {
		t.Fatal(err)
	}
	c.listener, _ = l.File()
	l.SetUnlinkOnClose(false)
	l.Close()
	logf, err := os.OpenFile(c.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, _ := os.Pipe()
	errR, errW, _ := os.Pipe()
	inR, inW, _ := os.Pipe()
	owner, _ := os.Create(filepath.Join(dir, "owner.lock"))
	netLock, _ := os.Create(filepath.Join(dir, "net.lock"))
	c.netDir = filepath.Join(dir, "net dir")
	_ = os.MkdirAll(filepath.Join(c.netDir, "sub"), 0o700)
	_ = os.WriteFile(filepath.Join(c.netDir, "sub", "f"), nil, 0o600)
	_ = os.Symlink(dir, filepath.Join(c.netDir, "link")) // must not be followed

	version := o.version
	if version == 0 {
		version = handoff.Version
	}
	st := handoff.State{Version: version, ID: "0123456789abcdef0123", Interactive: o.interactive, StopSignal: int(syscall.SIGTERM),
		StopTimeout: o.stopTimeout, Rrun: []string{self, "--log-level", "a b%"}, Restarts: "1 500",
		Listener: fdListener, Log: fdLog, Stdout: fdStdout, Stderr: fdStderr, Master: -1, Stdin: fdStdin, Owner: fdOwner, NetLock: -1}
	helper := ""
	if o.netHelper {
		st.NetDir, st.NetLock = c.netDir, fdNetLock
		helper = `sleep 600 </dev/null >/dev/null 2>&1 ` + closeFds(fdListener, fdInitIn) + ` & h=" net_helper=$!";`
	}
	script := `(` + o.init + `) <&` + strconv.Itoa(fdInitIn) + ` >&` + strconv.Itoa(fdInitOut) + ` 2>&` + strconv.Itoa(fdInitErr) + ` ` +
		closeFds(fdListener, fdInitIn) + ` & p=$!; h=; ` + helper +
		` exec ` + strconv.Itoa(fdInitIn) + `<&- ` + strconv.Itoa(fdInitOut) + `>&- ` + strconv.Itoa(fdInitErr) + `>&-; ` +
		handoff.Env + `="$STATE pid=$p$h" exec -a rrun-monitor "$MONITOR" ` + st.ID
	c.cmd = exec.Command("bash", "-c", script)
	c.cmd.Env = append(os.Environ(), "STATE="+st.Encode(), "MONITOR="+bin, fakeRrunEnv+"="+filepath.Join(dir, "record"))
	c.cmd.ExtraFiles = []*os.File{c.listener, logf, outR, errR, inW, owner, netLock, outW, errW, inR}
	c.cmd.Stderr = &c.stderr
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // the cleanup kills the init and its children too
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for _, f := range c.cmd.ExtraFiles {
		f.Close()
	}
	go func() { _ = c.cmd.Wait(); close(c.exited) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
		<-c.exited
	})
	return c
}

// closeFds is the shell's redirections that close fds from to to.
func closeFds(from, to int) string {
	var b strings.Builder
	for fd := from; fd <= to; fd++ {
		b.WriteString(" " + strconv.Itoa(fd) + ">&-")
	}
	return b.String()
}

// wait waits for rrun-monitor (and the fake --resume it execs) to exit.
func (c *container) wait() {
	c.t.Helper()
	select {
	case <-c.exited:
	case <-time.After(20 * time.Second):
		c.t.Fatalf("rrun-monitor did not finish; stderr: %s", c.stderr.String())
	}
}

// record reads what the fake rrun saw in mode (resume or exec).
func (c *container) record(mode string) record {
	c.t.Helper()
	var r record
	deadline := time.Now().Add(10 * time.Second)
	for {
		data, err := os.ReadFile(filepath.Join(c.dir, "record."+mode))
		if err == nil {
			if err := json.Unmarshal(data, &r); err != nil {
				c.t.Fatal(err)
			}
			return r
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("no %s of rrun; rrun-monitor's stderr: %s", mode, c.stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// dial connects to the monitor socket as host/monitor's client does.
func (c *container) dial() *net.UnixConn {
	c.t.Helper()
	conn, err := net.DialUnix("unixpacket", nil, &net.UnixAddr{Name: c.sock, Net: "unixpacket"})
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { conn.Close() })
	return conn
}

// send writes req (host/monitor.Request's JSON) with fds.
func send(t *testing.T, conn *net.UnixConn, req monitor.Request, fds ...int) {
	t.Helper()
	data, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	var oob []byte
	if len(fds) > 0 {
		oob = syscall.UnixRights(fds...)
	}
	if _, _, err := conn.WriteMsgUnix(data, oob, nil); err != nil {
		t.Fatal(err)
	}
}

// receive reads one answer as host/monitor.Response.
func receive(t *testing.T, conn *net.UnixConn) monitor.Response {
	t.Helper()
	buf := make([]byte, 64<<10)
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	var r monitor.Response
	if err := json.Unmarshal(buf[:n], &r); err != nil {
		t.Fatalf("answer %q: %v", buf[:n], err)
	}
	return r
}

func ask(t *testing.T, conn *net.UnixConn, req monitor.Request) monitor.Response {
	t.Helper()
	if req.Version == 0 {
		req.Version = monitor.ProtocolVersion
	}
	send(t, conn, req)
	return receive(t, conn)
}

// logEntries are the container's log lines as {t, s, l} strings.
func (c *container) logEntries() []map[string]string {
	c.t.Helper()
	data, _ := os.ReadFile(c.log)
	var out []map[string]string
	for _, l := range strings.SplitAfter(string(data), "\n") {
		if l == "" {
			continue
		}
		var e map[string]string
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			c.t.Fatalf("log line %q: %v", l, err)
		}
		out = append(out, e)
	}
	return out
}

// waitLog waits until the log holds an entry with line l.
func (c *container) waitLog(l string) {
	c.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, e := range c.logEntries() {
			if e["l"] == l {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	c.t.Fatalf("%q never logged: %v", l, c.logEntries())
}

func envOf(r record, key string) (string, bool) {
	for _, kv := range r.Env {
		if k, v, _ := strings.Cut(kv, "="); k == key {
			return v, true
		}
	}
	return "", false
}
