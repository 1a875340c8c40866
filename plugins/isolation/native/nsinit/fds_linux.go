package nsinit

import (
	"fmt"
	"math"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// closeExtraFds marks every fd from first up close-on-exec, so that the
// command starts with fds 0 to first-1 and nothing else, whatever the
// caller of rrun, the session or the plugin held open (CVE-2024-21626: an
// inherited directory fd is a way out of the container's root). It is the
// last thing before exec; the control socket is close-on-exec already.
func closeExtraFds(first int) error {
	err := unix.CloseRange(uint(first), math.MaxUint32, unix.CLOSE_RANGE_CLOEXEC)
	if err == nil {
		return nil
	}
	// Kernels before 5.11: every open fd, one by one.
	entries, rerr := os.ReadDir("/proc/self/fd")
	if rerr != nil {
		return fmt.Errorf("failed to close inherited fds: %w (and %w)", err, rerr)
	}
	for _, e := range entries {
		fd, convErr := strconv.Atoi(e.Name())
		if convErr != nil || fd < first {
			continue
		}
		// The fd of ReadDir itself is closed by now; EBADF means no harm.
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC); err != nil && err != unix.EBADF {
			return fmt.Errorf("failed to close inherited fd %d: %w", fd, err)
		}
	}
	return nil
}
