package nsinit

import (
	"encoding/binary"
	"errors"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// CInitEnv asks the C constructor (cinit_linux.c) to be the container's
// init without starting the Go runtime: "1" for an init a Create starts,
// which reads EncodeCInit's bytes instead of Config's JSON; "spare" for a
// spare init, whose first message's kind says which follows
// (SpareCNoTerminal and SpareCTerminal: EncodeCInit's bytes; SpareNoTerminal
// and SpareTerminal: Config's JSON, and the spare goes on in Go).
const CInitEnv = "_RRUN_CINIT"

// Kinds of a spare's first message that announce EncodeCInit's bytes.
const (
	SpareCNoTerminal = 'N'
	SpareCTerminal   = 'T'
)

// Flags of the C init configuration (RRUN_CI_* in cinit_linux.c).
const (
	cinitTerminal = 1 << iota
	cinitLoopback
	cinitReadonlyRoot
	cinitTrace
)

// Flags of one mount of the C init configuration (RRUN_CM_*).
const (
	cmountBind         = 1 << iota // mount(MS_BIND), then mount_setattr for the other flags
	cmountFileIfFile               // the mountpoint is a file when the source is not a directory
	cmountSysfsBinding             // on failure, bind the session's /sys read-only instead
	cmountSkipOnError              // on failure, log and go on
	cmountRetry                    // on failure, mount once more with the second data
	cmountPtmxLink                 // afterwards, ../ptmx becomes a link to pts/ptmx
)

// EncodeCInit lays cfg out for the C init: a native-endian uint32 length,
// then ProtocolVersion, flags, the console's rows and columns as uint32s;
// the namespaces to unshare as a uint64; the network namespace path, the
// rootfs dir, the hostname and the domain name as strings; the rootfs
// mounts and the spec's mounts (each: flags, mount flags and propagation
// as uint32 and uint64s, source, target, type, data and the second data as
// strings); the devices (path, required); the masked and read-only paths;
// last the process, as EncodeCExec lays it out. Options are parsed and
// fallbacks chosen here, as the Go init does them; the C side makes the
// system calls. It fails, and the plugin takes the Go path, when a string
// cannot be a C string.
func EncodeCInit(cfg *Config) ([]byte, error) {
	spec := cfg.Spec
	if spec == nil || spec.Process == nil {
		return nil, errors.New("the spec has no process")
	}
	proc, err := EncodeCExec(&ExecConfig{Process: spec.Process, SingleIDMap: cfg.SingleIDMap, Seccomp: cfg.Seccomp})
	if err != nil {
		return nil, err
	}
	e := cexecEncoder{b: make([]byte, 4, 2048+len(proc))}
	var rows, cols uint32
	if cs := spec.Process.ConsoleSize; cs != nil {
		rows, cols = uint32(cs.Height), uint32(cs.Width)
	}
	e.u32(ProtocolVersion, cinitFlags(cfg), rows, cols)
	e.u64(uint64(cfg.Unshare))
	e.str(cfg.NetNS, cfg.RootfsDir, spec.Hostname, spec.Domainname)
	e.u32(uint32(len(cfg.Rootfs)))
	for _, m := range cfg.Rootfs {
		opts := m.Options
		if m.Type == "bind" || m.Type == "rbind" {
			opts = append(slices.Clone(opts), "rbind") // as mountRootfs
		}
		e.mount(m.Source, m.Target, m.Type, opts, 0, "")
	}
	e.u32(uint32(len(spec.Mounts)))
	for _, m := range spec.Mounts {
		e.specMount(m)
	}
	e.devices(spec)
	var masked, readonly []string
	if spec.Linux != nil {
		masked, readonly = spec.Linux.MaskedPaths, spec.Linux.ReadonlyPaths
	}
	e.strs(masked)
	e.strs(readonly)
	if e.err != nil {
		return nil, e.err
	}
	e.b = append(e.b, proc...)
	binary.NativeEndian.PutUint32(e.b, uint32(len(e.b)-4))
	return e.b, nil
}

func cinitFlags(cfg *Config) uint32 {
	spec := cfg.Spec
	var flags uint32
	for bit, on := range map[uint32]bool{
		cinitTerminal: cfg.Terminal,
		cinitLoopback: spec.Linux != nil && slices.ContainsFunc(spec.Linux.Namespaces, func(ns specs.LinuxNamespace) bool {
			return ns.Type == specs.NetworkNamespace
		}),
		cinitReadonlyRoot: spec.Root != nil && spec.Root.Readonly,
		cinitTrace:        cfg.Trace,
	} {
		if on {
			flags |= bit
		}
	}
	return flags
}

// mount writes one mount with its options parsed as mountOne parses them.
func (e *cexecEncoder) mount(source, target, typ string, opts []string, flags uint32, data2 string) {
	mo := parseMountOptions(opts)
	if typ == "bind" || mo.flags&unix.MS_BIND != 0 {
		flags |= cmountBind
	}
	e.u32(flags)
	e.u64(uint64(mo.flags), uint64(mo.propagation))
	e.str(source, target, typ, strings.Join(mo.data, ","), data2)
}

// specMount writes m with the choices of makeMountpoint and mountSpecMount.
func (e *cexecEncoder) specMount(m specs.Mount) {
	typ := m.Type
	isBind := func(o string) bool { return o == "bind" || o == "rbind" }
	if typ == "" && slices.ContainsFunc(m.Options, isBind) {
		typ = "bind"
	}
	var flags uint32
	if m.Type == "bind" || slices.ContainsFunc(m.Options, isBind) {
		flags |= cmountFileIfFile
	}
	data2 := ""
	switch typ {
	case "sysfs":
		flags |= cmountSysfsBinding
	case "mqueue", "cgroup", "cgroup2":
		flags |= cmountSkipOnError
	case "devpts":
		flags |= cmountPtmxLink
		if opts := withoutGID(m.Options); len(opts) < len(m.Options) {
			flags |= cmountRetry
			data2 = strings.Join(parseMountOptions(opts).data, ",")
		}
	}
	e.mount(m.Source, m.Destination, typ, m.Options, flags, data2)
}

// devices writes the nodes bindDevices binds: the spec's, required, then
// the defaults it does not name, skipped when the session lacks them.
func (e *cexecEncoder) devices(spec *specs.Spec) {
	var paths []string
	required := map[string]bool{}
	if spec.Linux != nil {
		for _, d := range spec.Linux.Devices {
			if !required[d.Path] {
				required[d.Path] = true
				paths = append(paths, d.Path)
			}
		}
	}
	for _, dev := range defaultDevices {
		if !required[dev] {
			paths = append(paths, dev)
		}
	}
	e.u32(uint32(len(paths)))
	for _, p := range paths {
		e.str(p)
		if required[p] {
			e.u32(1)
		} else {
			e.u32(0)
		}
	}
}
