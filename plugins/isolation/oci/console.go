package oci

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// consoleRelay is a socket of the plugin's where the runtime sends a pty
// master: the plugin keeps a dup (for ResizePty) and forwards it to the
// host's console socket.
type consoleRelay struct {
	dir string
	ln  *net.UnixListener
	got chan received // the master, accepted while the runtime runs
}

type received struct {
	master *os.File
	name   []byte
	err    error
}

// listenConsole listens on a fresh socket in a short temporary directory
// (a socket path has 108 bytes).
func listenConsole() (*consoleRelay, error) {
	dir, err := os.MkdirTemp("", "rrun-oci-")
	if err != nil {
		return nil, fmt.Errorf("failed to create a console socket dir: %w", err)
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: filepath.Join(dir, "c.sock"), Net: "unix"})
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("failed to listen for the console: %w", err)
	}
	c := &consoleRelay{dir: dir, ln: ln, got: make(chan received, 1)}
	go func() {
		m, name, err := c.accept()
		c.got <- received{m, name, err}
	}()
	return c, nil
}

func (c *consoleRelay) path() string { return filepath.Join(c.dir, "c.sock") }

func (c *consoleRelay) close() {
	c.ln.Close()
	os.RemoveAll(c.dir)
}

// receive returns the master the runtime sent; the runtime command has
// returned, so it has sent it or never will.
func (c *consoleRelay) receive() (*os.File, []byte, error) {
	select {
	case r := <-c.got:
		return r.master, r.name, r.err
	case <-time.After(10 * time.Second):
		return nil, nil, fmt.Errorf("the runtime sent no pty master")
	}
}

// accept takes one connection and the fd sent on it. Some runtimes wait
// for the receiver before they exit.
func (c *consoleRelay) accept() (*os.File, []byte, error) {
	conn, err := c.ln.AcceptUnix()
	if err != nil {
		return nil, nil, fmt.Errorf("the runtime sent no pty master: %w", err)
	}
	defer conn.Close()
	buf, oob := make([]byte, 4096), make([]byte, syscall.CmsgSpace(4))
	n, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
	if err != nil {
		return nil, nil, fmt.Errorf("failed to receive the pty master: %w", err)
	}
	msgs, err := syscall.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		return nil, nil, fmt.Errorf("the runtime sent no pty master")
	}
	fds, err := syscall.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		return nil, nil, fmt.Errorf("the runtime sent no pty master")
	}
	return os.NewFile(uintptr(fds[0]), "pty-master"), buf[:n], nil
}

// forwardMaster sends master to the host's console socket with name as
// the message data, as the runtime did.
func forwardMaster(socket string, master *os.File, name []byte) error {
	conn, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: socket, Net: "unix"})
	if err != nil {
		return fmt.Errorf("failed to connect to console socket %s: %w", socket, err)
	}
	defer conn.Close()
	if len(name) == 0 {
		name = []byte("pty")
	}
	if _, _, err := conn.WriteMsgUnix(name, syscall.UnixRights(int(master.Fd())), nil); err != nil {
		return fmt.Errorf("failed to send the pty master to %s: %w", socket, err)
	}
	return nil
}

// takeMaster receives the master from relay and forwards it to socket; it
// returns the plugin's copy.
func takeMaster(relay *consoleRelay, socket string) (*os.File, error) {
	master, name, err := relay.receive()
	if err != nil {
		return nil, err
	}
	if err := forwardMaster(socket, master, name); err != nil {
		master.Close()
		return nil, err
	}
	return master, nil
}
