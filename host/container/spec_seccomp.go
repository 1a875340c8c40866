package container

import (
	"errors"

	"github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rrun-project/rrun/plugins/api"
)

// LoadSeccompProfile turns a seccomp profile in docker's JSON format into
// the runtime spec's section, for a process whose bounding set is caps
// (profiles allow some syscalls only with a capability). A profile with no
// default action and no syscalls means no filter: nil.
func LoadSeccompProfile(data []byte, caps []string) (*specs.LinuxSeccomp, error) {
	spec := &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{Bounding: caps}}}
	s, err := seccomp.LoadProfile(string(data), spec)
	if err == nil && s != nil {
		err = checkSeccompSection(s)
	}
	if err != nil {
		return nil, api.Errorf(api.ErrInvalidArgument, "give a seccomp profile in docker's JSON format, or seccomp=unconfined",
			"invalid seccomp profile: %v", err)
	}
	return s, nil
}

// checkSeccompSection refuses what no backend could enforce.
func checkSeccompSection(s *specs.LinuxSeccomp) error {
	if s.DefaultAction == "" {
		return errors.New("no defaultAction")
	}
	for _, sc := range s.Syscalls {
		if sc.Action == "" {
			return errors.New("a syscall rule without an action")
		}
		for _, a := range sc.Args {
			if a.Index > 5 {
				return errors.New("a syscall has at most 6 arguments (index 0 to 5)")
			}
		}
	}
	return nil
}

// seccompFor is the container's filter: docker's default profile unless
// the user gave one, none with seccomp=unconfined or --privileged (docker's
// rule). caps is the process's bounding set.
func seccompFor(o RunOptions, caps []string) (*specs.LinuxSeccomp, error) {
	sec, err := parseSecurityOpts(o.SecurityOpt)
	if err != nil {
		return nil, err
	}
	if o.Privileged || sec.seccomp == seccompUnconfined {
		return nil, nil
	}
	spec := &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{Bounding: caps}}}
	if sec.seccomp == "" {
		s, err := seccomp.GetDefaultProfile(spec)
		if err != nil {
			return nil, api.Errorf(api.ErrInvalidArgument, "", "failed to apply the default seccomp profile: %v", err)
		}
		return s, nil
	}
	return LoadSeccompProfile([]byte(sec.seccomp), caps)
}
