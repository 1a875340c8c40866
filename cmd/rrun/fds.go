package main

import (
	"math"

	"golang.org/x/sys/unix"
)

// closeInheritedFds marks every fd above 2 that rrun inherited
// close-on-exec, so that no session, plugin, monitor or container gets the
// caller's open files: a directory fd in a container is a way out of its
// root (CVE-2024-21626). The container's init closes them again, for
// backends started some other way. Best effort: a kernel without
// close_range (before 5.11) leaves that to the init.
func closeInheritedFds() {
	_ = unix.CloseRange(3, math.MaxUint32, unix.CLOSE_RANGE_CLOEXEC)
}
