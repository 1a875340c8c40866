package main

import (
	"math"

	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/host/monitor"
	"github.com/rrun-project/rrun/plugins/api"
)

// inheritedFds is how many fds from 3 up were inherited, without a gap,
// when rrun started: the most --preserve-fds can pass on. An inherited fd
// is open and not close-on-exec (it survived the exec of rrun); the Go
// runtime's own (it keeps cgroup files open for GOMAXPROCS) are
// close-on-exec.
var inheritedFds int

// closeInheritedFds marks every fd above 2 that rrun inherited
// close-on-exec, so that no session, plugin, monitor or container gets the
// caller's open files: a directory fd in a container is a way out of its
// root (CVE-2024-21626). The container's init closes them again, for
// backends started some other way. Best effort: a kernel without
// close_range (before 5.11) leaves that to the init. Those that
// --preserve-fds asks for are passed on by SCM_RIGHTS, never inherited.
func closeInheritedFds() {
	for fd := 3; fd < 3+monitor.MaxPreservedFds; fd++ {
		if flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil || flags&unix.FD_CLOEXEC != 0 {
			break
		}
		inheritedFds++
	}
	_ = unix.CloseRange(3, math.MaxUint32, unix.CLOSE_RANGE_CLOEXEC)
}

// preservedFds are the fds --preserve-fds n passes on: 3 to 3+n-1, which
// must all have been open when rrun started (podman's rule).
func preservedFds(n int) ([]int, error) {
	if n < 0 || n > monitor.MaxPreservedFds {
		return nil, api.Errorf(api.ErrInvalidArgument, "", "--preserve-fds %d: must be between 0 and %d", n, monitor.MaxPreservedFds)
	}
	if n > inheritedFds {
		return nil, api.Errorf(api.ErrInvalidArgument, "open the fds before running rrun, e.g. 3<FILE",
			"--preserve-fds %d: fd %d is not open (inherited)", n, 3+inheritedFds)
	}
	fds := make([]int, n)
	for i := range fds {
		fds[i] = 3 + i
	}
	return fds, nil
}
