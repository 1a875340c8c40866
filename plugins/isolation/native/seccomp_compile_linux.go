//go:build cgo

package native

import (
	"fmt"
	"io"
	"os"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// seccompBuilt says this binary compiles seccomp filters (libseccomp needs
// cgo).
const seccompBuilt = true

// seccompTree is libseccomp's optimisation level that searches each
// architecture's syscall numbers as a binary tree instead of one by one.
// When the kernel loads a filter it runs it once for every syscall number
// (to cache the ones always allowed), so a linear filter of docker's
// default profile (~350 syscalls, three architectures) cost the init 1.24
// ms of CPU to load and the tree 0.55 (BenchmarkSeccompLoad); every
// syscall checked later is faster too. Compiling it takes longer (~54 ms
// against ~32), once per profile: programs are cached.
const seccompTree = 2

// compileSeccomp turns the spec's seccomp section into a BPF program (an
// array of struct sock_filter), with libseccomp. It runs in the plugin at
// Create, so that a bad profile fails there with a clear error and the
// container's init only has to load the result.
func compileSeccomp(s *specs.LinuxSeccomp) ([]byte, error) {
	return compileSeccompAt(s, seccompTree)
}

// compileSeccompAt is compileSeccomp at a libseccomp optimisation level.
func compileSeccompAt(s *specs.LinuxSeccomp, level int) ([]byte, error) {
	filter, err := newSeccompFilter(s, level)
	if err != nil {
		return nil, err
	}
	defer filter.Release()
	for _, sc := range s.Syscalls {
		if err := addSeccompRule(filter, s, sc); err != nil {
			return nil, err
		}
	}
	return exportBPF(filter)
}

// newSeccompFilter makes an empty filter with the default action and the
// architectures of the profile.
func newSeccompFilter(s *specs.LinuxSeccomp, level int) (*libseccomp.ScmpFilter, error) {
	if s.ListenerPath != "" {
		return nil, fmt.Errorf("seccomp listener %s is not supported", s.ListenerPath)
	}
	def, err := seccompAction(s.DefaultAction, s.DefaultErrnoRet)
	if err != nil {
		return nil, err
	}
	filter, err := libseccomp.NewFilter(def)
	if err != nil {
		return nil, fmt.Errorf("failed to create seccomp filter: %w", err)
	}
	_ = filter.SetOptimize(level) // a libseccomp before 2.5 keeps the linear filter
	for _, a := range s.Architectures {
		arch, err := libseccomp.GetArchFromString(strings.TrimPrefix(string(a), "SCMP_ARCH_"))
		if err == nil {
			err = filter.AddArch(arch)
		}
		if err != nil {
			filter.Release()
			return nil, fmt.Errorf("seccomp architecture %s: %w", a, err)
		}
	}
	return filter, nil
}

// addSeccompRule adds one entry of the profile. A syscall name libseccomp
// does not know on this architecture is skipped, as runc does: profiles
// list syscalls of every architecture and kernel.
func addSeccompRule(filter *libseccomp.ScmpFilter, s *specs.LinuxSeccomp, sc specs.LinuxSyscall) error {
	act, err := seccompAction(sc.Action, sc.ErrnoRet)
	if err != nil {
		return err
	}
	def, _ := seccompAction(s.DefaultAction, s.DefaultErrnoRet) // checked by newSeccompFilter
	if act == def {
		return nil // libseccomp refuses a rule that repeats the default
	}
	condSets, err := seccompConditions(sc.Args)
	if err != nil {
		return err
	}
	for _, name := range sc.Names {
		call, err := libseccomp.GetSyscallFromName(name)
		if err != nil {
			continue
		}
		for _, conds := range condSets {
			if len(conds) == 0 {
				err = filter.AddRule(call, act)
			} else {
				err = filter.AddRuleConditional(call, act, conds)
			}
			if err != nil {
				return fmt.Errorf("failed to add seccomp rule for %s: %w", name, err)
			}
		}
	}
	return nil
}

var seccompOps = map[specs.LinuxSeccompOperator]libseccomp.ScmpCompareOp{
	specs.OpNotEqual: libseccomp.CompareNotEqual, specs.OpLessThan: libseccomp.CompareLess,
	specs.OpLessEqual: libseccomp.CompareLessOrEqual, specs.OpEqualTo: libseccomp.CompareEqual,
	specs.OpGreaterEqual: libseccomp.CompareGreaterEqual, specs.OpGreaterThan: libseccomp.CompareGreater,
	specs.OpMaskedEqual: libseccomp.CompareMaskedEqual,
}

// seccompConditions returns the condition sets of one entry: one set with
// all of them (they must all hold), or, when two test the same argument
// (which libseccomp cannot put in one rule), one set per condition, as runc
// does.
func seccompConditions(args []specs.LinuxSeccompArg) ([][]libseccomp.ScmpCondition, error) {
	var conds []libseccomp.ScmpCondition
	seen, repeated := map[uint]bool{}, false
	for _, a := range args {
		op, ok := seccompOps[a.Op]
		if !ok {
			return nil, fmt.Errorf("unknown seccomp operator %q", a.Op)
		}
		c, err := libseccomp.MakeCondition(a.Index, op, a.Value, a.ValueTwo)
		if err != nil {
			return nil, fmt.Errorf("invalid seccomp condition: %w", err)
		}
		repeated = repeated || seen[a.Index]
		seen[a.Index] = true
		conds = append(conds, c)
	}
	if !repeated {
		return [][]libseccomp.ScmpCondition{conds}, nil
	}
	sets := make([][]libseccomp.ScmpCondition, 0, len(conds))
	for _, c := range conds {
		sets = append(sets, []libseccomp.ScmpCondition{c})
	}
	return sets, nil
}

// seccompAction maps a spec action; errno and trace return EPERM unless
// the profile says otherwise.
func seccompAction(a specs.LinuxSeccompAction, errnoRet *uint) (libseccomp.ScmpAction, error) {
	ret := int16(unix.EPERM)
	if errnoRet != nil {
		ret = int16(*errnoRet)
	}
	switch a {
	case specs.ActKill, specs.ActKillThread:
		return libseccomp.ActKillThread, nil
	case specs.ActKillProcess:
		return libseccomp.ActKillProcess, nil
	case specs.ActTrap:
		return libseccomp.ActTrap, nil
	case specs.ActErrno:
		return libseccomp.ActErrno.SetReturnCode(ret), nil
	case specs.ActTrace:
		return libseccomp.ActTrace.SetReturnCode(ret), nil
	case specs.ActAllow:
		return libseccomp.ActAllow, nil
	case specs.ActLog:
		return libseccomp.ActLog, nil
	}
	return libseccomp.ActInvalid, fmt.Errorf("unsupported seccomp action %q", a)
}

// exportBPF returns the filter's program. seccomp_export_bpf writes to an
// fd (the in-memory variant needs libseccomp 2.6): a memfd it is.
func exportBPF(filter *libseccomp.ScmpFilter) ([]byte, error) {
	fd, err := unix.MemfdCreate("seccomp-bpf", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("failed to export seccomp filter: %w", err)
	}
	f := os.NewFile(uintptr(fd), "seccomp-bpf")
	defer f.Close()
	if err := filter.ExportBPF(f); err != nil {
		return nil, fmt.Errorf("failed to export seccomp filter: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("failed to export seccomp filter: %w", err)
	}
	prog, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("failed to export seccomp filter: %w", err)
	}
	return prog, nil
}
