package nsinit

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// CExecEnv asks the C constructor (cexec_linux.c) to set the exec process
// up and exec the command itself, without starting the Go runtime: the
// plugin then sends EncodeCExec's bytes instead of ExecConfig's JSON. It is
// for execs without a terminal and without a user namespace of their own.
const CExecEnv = "_RRUN_CEXEC"

// Flags of the C exec configuration (RRUN_CX_* in cexec_linux.c).
const (
	cexecNoNewPrivs = 1 << iota
	cexecSingleIDMap
	cexecCaps
	cexecUmask
	cexecSeccomp
)

// lastCap is the kernel's, the same for the plugin and every container.
var lastCap = sync.OnceValue(LastCap)

var errNUL = errors.New("a string holds a NUL byte")

// EncodeCExec lays cfg out for the C exec path: a native-endian uint32
// length, then ProtocolVersion, flags, uid, gid, umask and the last
// capability as uint32s; the bounding, effective, permitted, inheritable
// and ambient sets and the seccomp filter flags as uint64 masks; the
// working directory, args[0] quoted as Go's %q (for error messages), the
// args and the environment as strings (uint32 length, the bytes, a NUL),
// lists prefixed by a uint32 count; the additional gids; the rlimits
// (resource, soft, hard, name); the seccomp program (uint32 length, bytes).
// Everything C would otherwise parse is resolved here. It fails, and the
// plugin takes the Go path, when a string cannot be a C string.
func EncodeCExec(cfg *ExecConfig) ([]byte, error) {
	p, last := cfg.Process, lastCap()
	e := cexecEncoder{b: make([]byte, 4, 1024)}
	flags, caps := cexecFlags(cfg), p.Capabilities
	if caps == nil {
		caps = &specs.LinuxCapabilities{}
	}
	var umask uint32
	if p.User.Umask != nil {
		umask = *p.User.Umask
	}
	e.u32(ProtocolVersion, flags, p.User.UID, p.User.GID, umask, uint32(last))
	e.u64(uint64(capSetOf(caps.Bounding, last)), uint64(capSetOf(caps.Effective, last)),
		uint64(capSetOf(caps.Permitted, last)), uint64(capSetOf(caps.Inheritable, last)),
		uint64(capSetOf(caps.Ambient, last)), uint64(cfg.Seccomp.flagMask()))
	e.str(p.Cwd, strconv.Quote(p.Args[0]))
	e.strs(p.Args)
	e.strs(p.Env)
	e.u32(uint32(len(p.User.AdditionalGids)))
	e.u32(p.User.AdditionalGids...)
	e.rlimits(p.Rlimits)
	if cfg.Seccomp != nil {
		e.u32(uint32(len(cfg.Seccomp.BPF)))
		e.b = append(e.b, cfg.Seccomp.BPF...)
	} else {
		e.u32(0)
	}
	if e.err != nil {
		return nil, e.err
	}
	binary.NativeEndian.PutUint32(e.b, uint32(len(e.b)-4))
	return e.b, nil
}

func cexecFlags(cfg *ExecConfig) uint32 {
	var flags uint32
	for bit, on := range map[uint32]bool{
		cexecNoNewPrivs: cfg.Process.NoNewPrivileges, cexecSingleIDMap: cfg.SingleIDMap,
		cexecCaps: cfg.Process.Capabilities != nil, cexecUmask: cfg.Process.User.Umask != nil,
		cexecSeccomp: cfg.Seccomp != nil,
	} {
		if on {
			flags |= bit
		}
	}
	return flags
}

// flagMask is the filter's flags as the seccomp system call takes them.
func (p *Seccomp) flagMask() uintptr {
	var flags uintptr
	if p != nil {
		for _, f := range p.Flags {
			flags |= seccompFlagValues[specs.LinuxSeccompFlag(f)]
		}
	}
	return flags
}

type cexecEncoder struct {
	b   []byte
	err error
}

func (e *cexecEncoder) u32(vs ...uint32) {
	for _, v := range vs {
		e.b = binary.NativeEndian.AppendUint32(e.b, v)
	}
}

func (e *cexecEncoder) u64(vs ...uint64) {
	for _, v := range vs {
		e.b = binary.NativeEndian.AppendUint64(e.b, v)
	}
}

func (e *cexecEncoder) str(ss ...string) {
	for _, s := range ss {
		if strings.IndexByte(s, 0) >= 0 {
			e.err = errNUL
		}
		e.u32(uint32(len(s)))
		e.b = append(append(e.b, s...), 0)
	}
}

func (e *cexecEncoder) strs(ss []string) {
	e.u32(uint32(len(ss)))
	e.str(ss...)
}

func (e *cexecEncoder) rlimits(rls []specs.POSIXRlimit) {
	e.u32(uint32(len(rls)))
	for _, rl := range rls {
		res, ok := rlimits[rl.Type]
		if !ok {
			e.err = fmt.Errorf("unknown rlimit %s", rl.Type)
		}
		e.u32(uint32(res))
		e.u64(rl.Soft, rl.Hard)
		e.str(rl.Type)
	}
}
