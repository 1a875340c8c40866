package monitor

import (
	"fmt"
	"io"
	"net"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// consoleSocket listens where the isolation backend sends a pty master.
type consoleSocket struct {
	path string
	l    *net.UnixListener
}

func listenConsole(path string) (*consoleSocket, error) {
	_ = os.Remove(path)
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("failed to listen on console socket %s: %w", path, err)
	}
	return &consoleSocket{path: path, l: l}, nil
}

// receive waits for the backend to connect and send the master fd.
func (c *consoleSocket) receive() (*os.File, error) {
	defer c.close()
	conn, err := c.l.AcceptUnix()
	if err != nil {
		return nil, fmt.Errorf("no terminal came from the isolation backend: %w", err)
	}
	defer conn.Close()
	buf, oob := make([]byte, 256), make([]byte, unix.CmsgSpace(4*4))
	_, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
	if err != nil {
		return nil, fmt.Errorf("failed to receive the terminal: %w", err)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) == 0 {
		return nil, fmt.Errorf("the isolation backend sent no terminal")
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) == 0 {
		return nil, fmt.Errorf("the isolation backend sent no terminal fd")
	}
	return os.NewFile(uintptr(fds[0]), "pty-master"), nil
}

func (c *consoleSocket) close() {
	c.l.Close()
	_ = os.Remove(c.path)
}

// IsTerminal reports whether fd is a terminal.
func IsTerminal(fd int) bool {
	_, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	return err == nil
}

// MakeRaw puts the terminal at fd in raw mode, as docker does for -t, and
// returns the function that restores it.
func MakeRaw(fd int) func() {
	old, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return func() {}
	}
	raw := *old
	raw.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	raw.Oflag &^= unix.OPOST
	raw.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	raw.Cflag &^= unix.CSIZE | unix.PARENB
	raw.Cflag |= unix.CS8
	raw.Cc[unix.VMIN], raw.Cc[unix.VTIME] = 1, 0
	_ = unix.IoctlSetTermios(fd, unix.TCSETS, &raw)
	return func() { _ = unix.IoctlSetTermios(fd, unix.TCSETS, old) }
}

// WindowSize reads the size of the terminal at fd (0, 0 when it is none).
func WindowSize(fd int) (uint, uint) {
	ws, err := unix.IoctlGetWinsize(fd, unix.TIOCGWINSZ)
	if err != nil {
		return 0, 0
	}
	return uint(ws.Col), uint(ws.Row)
}

// relayTTY copies in → master and master → out. The returned channel is
// closed when the output side ends (the process closed the terminal).
func relayTTY(master *os.File, in io.Reader, out io.Writer) <-chan struct{} {
	done := make(chan struct{})
	if in != nil {
		go func() { _, _ = io.Copy(master, in) }()
	}
	go func() {
		_, err := io.Copy(out, master)
		if err != nil && err != syscall.EIO { // EIO: the slave side closed
			_ = err
		}
		close(done)
	}()
	return done
}
