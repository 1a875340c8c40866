package nsinit

import (
	"errors"
	"fmt"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// setupTerminal makes a pty in the container's own devpts (so that the
// process sees /dev/pts/N of its container), sends the master to the
// plugin over the console channel (consoleFd) with the slave's name
// as data, and makes the slave the caller's controlling terminal and
// stdin, stdout and stderr. The caller must be a session leader or able to
// become one.
func setupTerminal(p *specs.Process, consoleFd int) error {
	console := os.NewFile(uintptr(consoleFd), "console")
	defer console.Close()
	master, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("failed to open /dev/ptmx in the container (is devpts mounted?): %w", err)
	}
	defer unix.Close(master)
	if err := unix.IoctlSetPointerInt(master, unix.TIOCSPTLCK, 0); err != nil {
		return fmt.Errorf("failed to unlock the pty: %w", err)
	}
	n, err := unix.IoctlGetInt(master, unix.TIOCGPTN)
	if err != nil {
		return fmt.Errorf("failed to get the pty number: %w", err)
	}
	name := fmt.Sprintf("/dev/pts/%d", n)
	slave, err := unix.Open(name, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("failed to open %s: %w", name, err)
	}
	defer unix.Close(slave)
	// As docker: the terminal belongs to the process's user. Best effort:
	// the gid may be unmapped.
	_ = unix.Fchown(slave, int(p.User.UID), -1)
	if p.ConsoleSize != nil {
		ws := unix.Winsize{Row: uint16(p.ConsoleSize.Height), Col: uint16(p.ConsoleSize.Width)}
		_ = unix.IoctlSetWinsize(master, unix.TIOCSWINSZ, &ws)
	}
	if err := unix.Sendmsg(consoleFd, []byte(name), unix.UnixRights(master), nil, 0); err != nil {
		return fmt.Errorf("failed to send the pty master to the plugin: %w", err)
	}
	return becomeTerminalOwner(slave, name)
}

func becomeTerminalOwner(slave int, name string) error {
	if _, err := unix.Setsid(); err != nil && !errors.Is(err, unix.EPERM) {
		return fmt.Errorf("failed to start a session: %w", err)
	}
	if err := unix.IoctlSetInt(slave, unix.TIOCSCTTY, 0); err != nil {
		return fmt.Errorf("failed to make %s the controlling terminal: %w", name, err)
	}
	for fd := range 3 {
		if err := unix.Dup3(slave, fd, 0); err != nil {
			return fmt.Errorf("failed to connect fd %d to %s: %w", fd, name, err)
		}
	}
	return nil
}
