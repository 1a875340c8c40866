package nsinit

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// kernelSigaction is struct sigaction as the rt_sigaction system call
// takes it on Linux.
type kernelSigaction struct {
	handler  uintptr
	flags    uint64
	restorer uintptr
	mask     uint64
}

// resetSignals gives the command every signal at its default action and
// none blocked, whatever rrun inherited: a signal ignored by whoever
// started rrun (nohup, a CI runner, a shell's trap "" HUP) stays ignored
// across execve, and a container's shell could then neither be stopped
// by that signal nor trap it (POSIX shells refuse to trap a signal ignored
// at entry). docker's and podman's containers start with defaults too.
// Called right before execve: the Go handlers of this process would be
// reset by it anyway.
func resetSignals() {
	dfl := kernelSigaction{handler: 0} // SIG_DFL
	for sig := 1; sig <= 64; sig++ {
		if sig == int(unix.SIGKILL) || sig == int(unix.SIGSTOP) {
			continue
		}
		_, _, _ = unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&dfl)), 0, 8, 0, 0)
	}
	var none unix.Sigset_t
	_ = unix.PthreadSigmask(unix.SIG_SETMASK, &none, nil)
}
