package main

import (
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/host/proc"
	"github.com/rrun-project/rrun/host/state"
	"github.com/rrun-project/rrun/plugins/api"
)

// pidNSExitTimeout bounds how long rm -f waits for a killed pid namespace
// to empty: SIGKILL cannot be held back, but a process in an
// uninterruptible sleep (a hung FUSE mount) dies only when it wakes.
const pidNSExitTimeout = 20 * time.Second

// killPidNamespace makes sure none of r's processes is left: when its pid
// namespace still has an init (the monitor could not stop it, or it is
// gone), the init is killed through a pidfd and rm waits until it has
// exited. The kernel kills every other process of the namespace before its
// init exits, so an exited init means an empty namespace. A record is never
// dropped while its processes live: this fails instead.
func killPidNamespace(r state.Record) error {
	if r.Status != state.StatusRunning { // the monitor saw the init exit: the namespace died with it
		return nil
	}
	pid := hostPid(r)
	if pid == 0 {
		return nil
	}
	fd, err := unix.PidfdOpen(pid, 0)
	if errors.Is(err, unix.ESRCH) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("failed to kill container %s: %w", r.Name, err)
	}
	defer unix.Close(fd)
	if ns := proc.PidNS(pid); ns == 0 || ns != r.PidNS || !startedBy(pid, r.StartedAt) { // another process, or another namespace with a reused inode
		return nil
	}
	if err := unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0); err != nil && !errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("failed to kill container %s: %w", r.Name, err)
	}
	if !awaitExit(fd, pidNSExitTimeout) {
		return api.Errorf(api.ErrFailedPrecondition, "try again; a process stuck in the kernel (D state) dies when it wakes",
			"cannot remove container %s: its processes did not exit after SIGKILL", r.Name)
	}
	return nil
}

// awaitExit waits until the process behind pidfd has exited (a zombie
// has), at most timeout.
func awaitExit(pidfd int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return false
		}
		fds := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, int(left.Milliseconds())+1)
		if n > 0 || (err != nil && !errors.Is(err, unix.EINTR)) {
			return true
		}
	}
}

// startedBy reports whether pid started no later than t (with a second's
// slack): the init of a container is created before it is started. A pid
// namespace whose inode number was freed and reused belongs to a process
// started later, which rm must not kill.
func startedBy(pid int, t time.Time) bool {
	st, ok := proc.Read(pid) // Start: clock ticks since boot
	var now unix.Timespec
	if !ok || unix.ClockGettime(unix.CLOCK_BOOTTIME, &now) != nil {
		return false
	}
	const clockTicks = 100 // USER_HZ, the same on every Linux ABI
	age := time.Duration(now.Nano()) - time.Duration(st.Start)*time.Second/clockTicks
	return time.Now().Add(-age).Before(t.Add(time.Second))
}
