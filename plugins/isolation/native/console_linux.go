package native

import (
	"context"
	"fmt"
	"net"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/plugins/api"
)

// checkTerminal refuses a process that asks for a terminal the host gave
// no console socket for, and the reverse.
func checkTerminal(id string, p *specs.Process, s api.Stdio) error {
	if s.Terminal && s.ConsoleSocket == "" {
		return api.Errorf(api.ErrInvalidArgument, "", "container %s: a terminal needs a console socket", id)
	}
	if p.Terminal && !s.Terminal {
		return api.Errorf(api.ErrInvalidArgument, "set Stdio.Terminal and Stdio.ConsoleSocket",
			"container %s: the process asks for a terminal but the stdio has none", id)
	}
	return nil
}

// consolePair returns the plugin's end and the child's end of the channel
// the container side sends the pty master over.
func consolePair() (*os.File, *os.File, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("failed to create console channel: %w", err)
	}
	return os.NewFile(uintptr(fds[0]), "console"), os.NewFile(uintptr(fds[1]), "console"), nil
}

// handOverTerminal receives the pty master of p from the console channel,
// sends it to the host's console socket and keeps it for ResizePty.
func handOverTerminal(ctx context.Context, p *proc, console *os.File, socket string) error {
	master, name, err := receiveMaster(console)
	if err != nil {
		return err
	}
	if err := sendMaster(ctx, socket, master, name); err != nil {
		master.Close()
		return err
	}
	p.master = master
	return nil
}

// receiveMaster reads the one message of the console channel: the slave's
// name as data and the master as SCM_RIGHTS. The container side sent it
// before it reported back, so this does not block.
func receiveMaster(console *os.File) (*os.File, string, error) {
	buf, oob := make([]byte, 128), make([]byte, unix.CmsgSpace(4))
	n, oobn, _, _, err := unix.Recvmsg(int(console.Fd()), buf, oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		return nil, "", fmt.Errorf("failed to receive the pty master: %w", err)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		return nil, "", fmt.Errorf("failed to receive the pty master: no file descriptor came")
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		return nil, "", fmt.Errorf("failed to receive the pty master: no file descriptor came")
	}
	name := string(buf[:n])
	return os.NewFile(uintptr(fds[0]), name), name, nil
}

// sendMaster gives the master to the host as runc's --console-socket does:
// one message on a new connection, the slave's path as data, the master
// as SCM_RIGHTS.
func sendMaster(ctx context.Context, socket string, master *os.File, name string) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", socket)
	if err != nil {
		return api.Errorf(api.ErrInvalidArgument, "", "failed to connect to console socket %s: %v", socket, err)
	}
	defer conn.Close()
	if _, _, err := conn.(*net.UnixConn).WriteMsgUnix([]byte(name), unix.UnixRights(int(master.Fd())), nil); err != nil {
		return fmt.Errorf("failed to send the pty master to console socket %s: %w", socket, err)
	}
	return nil
}

// ResizePty sets the window size of the init's or an exec's terminal
// through the master the plugin kept, or, for a process adopted from an
// earlier plugin process, through the slave on its stdin.
func (b *Backend) ResizePty(_ context.Context, id, execID string, width, height uint) error {
	c, err := b.get(id)
	if err != nil {
		return err
	}
	p, err := c.process(execID)
	if err != nil {
		return err
	}
	if !p.terminal {
		return api.Errorf(api.ErrFailedPrecondition, "", "%s has no terminal", p.describe(c.id, execID))
	}
	ws := unix.Winsize{Row: uint16(height), Col: uint16(width)}
	if p.master != nil {
		err = unix.IoctlSetWinsize(int(p.master.Fd()), unix.TIOCSWINSZ, &ws)
	} else {
		err = resizeThroughSlave(p.Pid, &ws)
	}
	if err != nil {
		return fmt.Errorf("failed to resize the terminal of %s: %w", p.describe(c.id, execID), err)
	}
	return nil
}

func resizeThroughSlave(pid int, ws *unix.Winsize) error {
	fd, err := unix.Open(fmt.Sprintf("/proc/%d/fd/0", pid), unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return unix.IoctlSetWinsize(fd, unix.TIOCSWINSZ, ws)
}
