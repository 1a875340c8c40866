package native

import (
	"fmt"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// seccompProgram is a compiled filter as the init receives it.
type seccompProgram struct {
	BPF   []byte   // struct sock_filter[], from compileSeccomp
	Flags []string // the spec's SECCOMP_FILTER_FLAG_* names
}

// seccompFlagValues are the filter flags a spec may ask for.
var seccompFlagValues = map[specs.LinuxSeccompFlag]uintptr{
	specs.LinuxSeccompFlagLog:              unix.SECCOMP_FILTER_FLAG_LOG,
	specs.LinuxSeccompFlagSpecAllow:        unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW,
	specs.LinuxSeccompFlagWaitKillableRecv: unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
	"SECCOMP_FILTER_FLAG_TSYNC":            unix.SECCOMP_FILTER_FLAG_TSYNC,
}

// newSeccompProgram compiles the spec's section; nil without one
// (unconfined).
func newSeccompProgram(s *specs.LinuxSeccomp) (*seccompProgram, error) {
	if s == nil {
		return nil, nil
	}
	for _, f := range s.Flags {
		if _, ok := seccompFlagValues[f]; !ok {
			return nil, fmt.Errorf("unknown seccomp flag %q", f)
		}
	}
	bpf, err := compileSeccomp(s)
	if err != nil {
		return nil, err
	}
	flags := make([]string, 0, len(s.Flags))
	for _, f := range s.Flags {
		flags = append(flags, string(f))
	}
	return &seccompProgram{BPF: bpf, Flags: flags}, nil
}

// load installs the filter on the calling thread, which must then exec:
// the command inherits it. The caller needs no_new_privs or CAP_SYS_ADMIN
// in its user namespace.
func (p *seccompProgram) load() error {
	if p == nil {
		return nil
	}
	const sockFilterSize = int(unsafe.Sizeof(unix.SockFilter{}))
	if len(p.BPF) == 0 || len(p.BPF)%sockFilterSize != 0 {
		return fmt.Errorf("invalid seccomp program of %d bytes", len(p.BPF))
	}
	var flags uintptr
	for _, f := range p.Flags {
		flags |= seccompFlagValues[specs.LinuxSeccompFlag(f)]
	}
	prog := unix.SockFprog{Len: uint16(len(p.BPF) / sockFilterSize), Filter: (*unix.SockFilter)(unsafe.Pointer(&p.BPF[0]))}
	_, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, flags, uintptr(unsafe.Pointer(&prog)))
	if errno != 0 {
		return fmt.Errorf("failed to load seccomp filter: %w", errno)
	}
	return nil
}
