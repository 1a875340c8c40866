package e2e

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPty makes a pty pair for a test, the way a terminal emulator does.
func openPty(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile("/dev/pts/"+itoa(n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_ = unix.IoctlSetWinsize(int(m.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 30, Col: 100})
	return m, s
}

// startOnPty starts `rrun ARGS` with a new pty (30x100) as its controlling
// terminal, as a shell in a terminal emulator would, and returns the
// process and the pty's master (closed when the test ends).
func startOnPty(t *testing.T, e *env, args ...string) (*exec.Cmd, *os.File) {
	t.Helper()
	master, slave := openPty(t)
	t.Cleanup(func() { master.Close() })
	cmd := exec.Command(rrunBin, args...)
	cmd.Env = e.vars
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	slave.Close()
	return cmd, master
}

// With -t the container gets a real terminal of its own; its size follows
// the user's terminal, and what the user types reaches it.
func TestTTYIsARealTerminalThatFollowsTheWindowSize(t *testing.T) {
	e := withBusybox(t)
	cmd, master := startOnPty(t, e, "run", "--rm", "-i", "-t", "busybox", "sh", "-c",
		`tty; [ -t 0 ] && echo stdin-is-tty; stty size; echo ready; read line; stty size; echo got:$line`)
	out := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(master)
		for sc.Scan() {
			out <- strings.TrimRight(sc.Text(), "\r")
		}
		close(out)
	}()
	var seen []string
	expect := func(want string) {
		t.Helper()
		deadline := time.After(20 * time.Second)
		for {
			select {
			case l, ok := <-out:
				if !ok {
					t.Fatalf("output ended before %q: %q", want, seen)
				}
				seen = append(seen, l)
				if strings.Contains(l, want) {
					return
				}
			case <-deadline:
				t.Fatalf("no %q in %q", want, seen)
			}
		}
	}
	expect("/dev/pts/")
	expect("stdin-is-tty")
	expect("30 100")
	expect("ready")
	_ = unix.IoctlSetWinsize(int(master.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 40, Col: 120})
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGWINCH)
	time.Sleep(300 * time.Millisecond)
	if _, err := master.Write([]byte("typed\r")); err != nil {
		t.Fatal(err)
	}
	expect("40 120")
	expect("got:typed")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("rrun run -t: %v (%q)", err, seen)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// `exec -it` gives the command a terminal of its own inside the container,
// at the size of the user's terminal.
func TestExecTTYGetsATerminalOfTheUsersSize(t *testing.T) {
	e := withBusybox(t)
	id := e.detached("busybox", "sh", "-c", "echo ready; while true; do sleep 0.1; done")
	e.waitLog(id, "ready")
	cmd, master := startOnPty(t, e, "exec", "-it", id, "sh", "-c", "tty; stty size; exit 4")
	var out strings.Builder
	done := make(chan struct{})
	go func() { _, _ = io.Copy(&out, master); close(done) }()
	err := cmd.Wait()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
	}
	if cmd.ProcessState.ExitCode() != 4 {
		t.Fatalf("exec -it exit code: want 4, got %v (%q)", err, out.String())
	}
	if got := out.String(); !strings.Contains(got, "/dev/pts/") || !strings.Contains(got, "30 100") {
		t.Fatalf("exec -it must get a terminal of the user's size: %q", got)
	}
	e.ok("rm", "-f", id)
}
