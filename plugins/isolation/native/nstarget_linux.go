package native

import (
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/plugins/api"
	"github.com/rrun-project/rrun/plugins/api/reaper"
)

// nsKinds are the namespaces an exec joins when the init's differs from
// the plugin's (the user namespace only with --userns=keep-id).
var nsKinds = []struct {
	name string
	flag int
}{
	{"user", unix.CLONE_NEWUSER}, {"mnt", unix.CLONE_NEWNS}, {"pid", unix.CLONE_NEWPID}, {"uts", unix.CLONE_NEWUTS},
	{"ipc", unix.CLONE_NEWIPC}, {"net", unix.CLONE_NEWNET}, {"cgroup", unix.CLONE_NEWCGROUP},
}

// nsTarget returns a pidfd of the running init and the namespaces of it to
// join. The pidfd is opened before the start time is checked, so it cannot
// name a process that reused the pid.
func (c *container) nsTarget() (*os.File, int, error) {
	pid := c.init.Pid
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil || !reaper.Running(pid, c.init.StartTime) {
		if err == nil {
			unix.Close(fd)
		}
		return nil, 0, api.Errorf(api.ErrFailedPrecondition, "", "container %s is not running", c.id)
	}
	f := os.NewFile(uintptr(fd), "pidfd")
	flags := 0
	for _, ns := range nsKinds {
		same, err := sameFile(fmt.Sprintf("/proc/self/ns/%s", ns.name), fmt.Sprintf("/proc/%d/ns/%s", pid, ns.name))
		if err != nil {
			f.Close()
			return nil, 0, fmt.Errorf("failed to inspect the namespaces of container %s: %w", c.id, err)
		}
		if !same {
			flags |= ns.flag
		}
	}
	return f, flags, nil
}

func sameFile(a, b string) (bool, error) {
	sa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	sb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	x, y := sa.Sys().(*syscall.Stat_t), sb.Sys().(*syscall.Stat_t)
	return x.Ino == y.Ino && x.Dev == y.Dev, nil
}
