package native

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rrun-project/rrun/plugins/isolation/native/nsinit"
)

// newSeccompProgram compiles the spec's section for the init; nil without
// one (unconfined).
func newSeccompProgram(s *specs.LinuxSeccomp) (*nsinit.Seccomp, error) {
	if s == nil {
		return nil, nil
	}
	if err := nsinit.CheckSeccompFlags(s.Flags); err != nil {
		return nil, err
	}
	bpf, err := compileSeccomp(s)
	if err != nil {
		return nil, err
	}
	flags := make([]string, 0, len(s.Flags))
	for _, f := range s.Flags {
		flags = append(flags, string(f))
	}
	return &nsinit.Seccomp{BPF: bpf, Flags: flags}, nil
}
