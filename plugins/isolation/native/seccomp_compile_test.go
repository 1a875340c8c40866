//go:build linux && cgo

package native

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestSeccompConditionsSplitOnSameArgument(t *testing.T) {
	sets, err := seccompConditions([]specs.LinuxSeccompArg{
		{Index: 0, Value: 1, Op: specs.OpEqualTo}, {Index: 1, Value: 2, Op: specs.OpEqualTo},
	})
	if err != nil || len(sets) != 1 || len(sets[0]) != 2 {
		t.Errorf("two arguments: one rule with both conditions, got %v %v", sets, err)
	}
	sets, err = seccompConditions([]specs.LinuxSeccompArg{
		{Index: 0, Value: 1, Op: specs.OpEqualTo}, {Index: 0, Value: 2, Op: specs.OpEqualTo},
	})
	if err != nil || len(sets) != 2 || len(sets[0]) != 1 {
		t.Errorf("one argument twice: one rule per condition, got %v %v", sets, err)
	}
	if _, err := seccompConditions([]specs.LinuxSeccompArg{{Index: 0, Op: "SCMP_CMP_SOMETIMES"}}); err == nil {
		t.Error("an unknown operator must fail")
	}
}

func TestSeccompProgramRefusesWhatItCannotEnforce(t *testing.T) {
	for name, s := range map[string]*specs.LinuxSeccomp{
		"notify":   {DefaultAction: specs.ActNotify},
		"listener": {DefaultAction: specs.ActAllow, ListenerPath: "/run/x.sock"},
		"flag":     {DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{"SECCOMP_FILTER_FLAG_MAGIC"}},
		"arch":     {DefaultAction: specs.ActAllow, Architectures: []specs.Arch{"SCMP_ARCH_VAX"}},
	} {
		if _, err := newSeccompProgram(s); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
	p, err := newSeccompProgram(&specs.LinuxSeccomp{DefaultAction: specs.ActAllow,
		Syscalls: []specs.LinuxSyscall{{Names: []string{"no_such_syscall", "mkdir"}, Action: specs.ActErrno}}})
	if err != nil || len(p.BPF) == 0 || len(p.BPF)%8 != 0 {
		t.Errorf("unknown syscall names are skipped: %v, %d bytes", err, len(p.BPF))
	}
}
