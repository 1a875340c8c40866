package nsinit

import (
	"fmt"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// seccompFlagValues are the filter flags a spec may ask for.
var seccompFlagValues = map[specs.LinuxSeccompFlag]uintptr{
	specs.LinuxSeccompFlagLog:              unix.SECCOMP_FILTER_FLAG_LOG,
	specs.LinuxSeccompFlagSpecAllow:        unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW,
	specs.LinuxSeccompFlagWaitKillableRecv: unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
	"SECCOMP_FILTER_FLAG_TSYNC":            unix.SECCOMP_FILTER_FLAG_TSYNC,
}

// CheckSeccompFlags refuses filter flags Load does not know.
func CheckSeccompFlags(flags []specs.LinuxSeccompFlag) error {
	for _, f := range flags {
		if _, ok := seccompFlagValues[f]; !ok {
			return fmt.Errorf("unknown seccomp flag %q", f)
		}
	}
	return nil
}

// Load installs the filter on the calling thread, which must then exec:
// the command inherits it. The caller needs no_new_privs or CAP_SYS_ADMIN
// in its user namespace. A nil filter loads nothing.
func (p *Seccomp) Load() error {
	if p == nil {
		return nil
	}
	const sockFilterSize = int(unsafe.Sizeof(unix.SockFilter{}))
	if len(p.BPF) == 0 || len(p.BPF)%sockFilterSize != 0 {
		return fmt.Errorf("invalid seccomp program of %d bytes", len(p.BPF))
	}
	flags := p.flagMask()
	prog := unix.SockFprog{Len: uint16(len(p.BPF) / sockFilterSize), Filter: (*unix.SockFilter)(unsafe.Pointer(&p.BPF[0]))}
	_, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, flags, uintptr(unsafe.Pointer(&prog)))
	if errno != 0 {
		return fmt.Errorf("failed to load seccomp filter: %w", errno)
	}
	return nil
}
