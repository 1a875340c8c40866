package testsuite

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rrun-project/rrun/plugins/api"
)

// consoleSocket listens on a unix socket as the host does for a terminal
// and hands over the pty master that arrives on it.
type consoleSocket struct {
	path    string
	masters chan *os.File
}

func listenConsole(t *testing.T) *consoleSocket {
	t.Helper()
	dir, err := os.MkdirTemp("", "tty") // short: a socket path has 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	cs := &consoleSocket{path: filepath.Join(dir, "console.sock"), masters: make(chan *os.File, 1)}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: cs.path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		if m, err := acceptMaster(ln); err == nil {
			cs.masters <- m
		} else {
			t.Log(err)
		}
		close(cs.masters)
	}()
	return cs
}

// acceptMaster receives one fd sent with SCM_RIGHTS.
func acceptMaster(ln *net.UnixListener) (*os.File, error) {
	conn, err := ln.AcceptUnix()
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	buf, oob := make([]byte, 128), make([]byte, syscall.CmsgSpace(4))
	n, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
	if err != nil {
		return nil, err
	}
	msgs, err := syscall.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		return nil, errors.New("console socket: no control message")
	}
	fds, err := syscall.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		return nil, errors.New("console socket: no fd")
	}
	if err := syscall.SetNonblock(fds[0], true); err != nil { // for deadlines
		return nil, err
	}
	return os.NewFile(uintptr(fds[0]), string(buf[:n])), nil
}

// master returns the master that arrived (it must have by now).
func (cs *consoleSocket) master(t *testing.T) *os.File {
	t.Helper()
	select {
	case m, ok := <-cs.masters:
		if !ok {
			t.Fatal("no pty master arrived on the console socket")
		}
		t.Cleanup(func() { m.Close() })
		return m
	case <-time.After(time.Minute):
		t.Fatal("no pty master arrived on the console socket")
	}
	return nil
}

// readAll reads the master until the terminal hangs up (EIO).
func readAll(t *testing.T, m *os.File) string {
	t.Helper()
	m.SetReadDeadline(time.Now().Add(time.Minute))
	var sb strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := m.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				t.Errorf("the terminal did not hang up; read so far: %q", sb.String())
			}
			return sb.String()
		}
	}
}

var ptsLine = regexp.MustCompile(`/dev/pts/[0-9]+\r?\n`)

func (s *isolationSuite) testTerminal(t *testing.T) {
	b := s.newBackend(t)
	requireCap(t, b, api.CapIsolationTTY)
	cs := listenConsole(t)
	spec := IsolationSpec("sh")
	spec.Process.Terminal = true
	c := &isoContainer{t: t, ctx: isoCtx(t), b: b, id: fmt.Sprintf("tty-%d", isolationIDs.Add(1))}
	_, err := b.Create(c.ctx, api.CreateRequest{ID: c.id, SpecJSON: jsonOf(t, spec), Rootfs: s.rootfs(t),
		Stdio: api.Stdio{Terminal: true, ConsoleSocket: cs.path}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.b.Delete(isoCtx(t), c.id) })
	m := cs.master(t) // sent during Create
	if err := b.ResizePty(c.ctx, c.id, "", 123, 45); err != nil {
		t.Fatal(err)
	}
	if err := b.Start(c.ctx, c.id); err != nil {
		t.Fatal(err)
	}
	// Echoed input never matches what is checked: T2TY is computed.
	if _, err := m.WriteString("tty; stty size; test -t 0 && echo T$((1+1))TY; exit 3\n"); err != nil {
		t.Fatal(err)
	}
	out := readAll(t, m)
	if !ptsLine.MatchString(out) || !strings.Contains(out, "45 123") || !strings.Contains(out, "T2TY") {
		t.Errorf("terminal session printed %q: want a /dev/pts/N line, size 45 123, and a tty on stdin", out)
	}
	if st := c.wait(); st.Code != 3 {
		t.Errorf("shell on a terminal exited %+v, want 3", st)
	}
}

func (s *isolationSuite) testExecTerminal(t *testing.T) {
	c := s.running(t, api.CapIsolationExec)
	requireCap(t, c.b, api.CapIsolationTTY)
	cs := listenConsole(t)
	p := ExecProcess("sh", "-c", "read x; tty; stty size; exit 4")
	p.Terminal = true
	execID := "tty-exec"
	_, err := c.b.Exec(c.ctx, api.ExecRequest{ID: c.id, ExecID: execID, ProcessJSON: jsonOf(t, p),
		Stdio: api.Stdio{Terminal: true, ConsoleSocket: cs.path}})
	if err != nil {
		t.Fatal(err)
	}
	m := cs.master(t) // sent during Exec
	if err := c.b.ResizePty(c.ctx, c.id, execID, 77, 22); err != nil {
		t.Fatal(err)
	}
	if _, err := m.WriteString("\n"); err != nil {
		t.Fatal(err)
	}
	if out := readAll(t, m); !ptsLine.MatchString(out) || !strings.Contains(out, "22 77") {
		t.Errorf("exec on a terminal printed %q: want a /dev/pts/N line and size 22 77", out)
	}
	if st := c.waitExec(execID); st.Code != 4 {
		t.Errorf("exec on a terminal exited %+v, want 4", st)
	}
}

func (s *isolationSuite) testResizeWithoutTerminal(t *testing.T) {
	b := s.newBackend(t)
	requireCap(t, b, api.CapIsolationTTY)
	c := s.mustCreate(t, b, IsolationSpec("true"))
	if err := b.ResizePty(c.ctx, c.id, "", 80, 24); !errors.Is(err, api.ErrFailedPrecondition) {
		t.Errorf("ResizePty without a terminal = %v, want ErrFailedPrecondition", err)
	}
	if err := b.ResizePty(c.ctx, "no-such-container", "", 80, 24); !errors.Is(err, api.ErrNotFound) {
		t.Errorf("ResizePty of an unknown container = %v, want ErrNotFound", err)
	}
}
