package container

import (
	"errors"
	"reflect"
	"slices"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rrun-project/rrun/plugins/api"
)

func TestPodmanDefaultCapabilities(t *testing.T) {
	want := []string{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
		"CAP_NET_BIND_SERVICE", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_CHROOT"}
	s := specOf(t, RunOptions{}, specs.User{}, SpecEnv{})
	c := s.Process.Capabilities
	if !reflect.DeepEqual(c.Bounding, want) || !reflect.DeepEqual(c.Effective, want) || !reflect.DeepEqual(c.Permitted, want) ||
		c.Inheritable != nil || c.Ambient != nil {
		t.Fatalf("root: got %+v", c)
	}
	s = specOf(t, RunOptions{}, specs.User{UID: 1000, GID: 1000}, SpecEnv{})
	c = s.Process.Capabilities
	if !reflect.DeepEqual(c.Bounding, want) || c.Effective != nil || c.Permitted != nil || c.Inheritable != nil || c.Ambient != nil {
		t.Fatalf("non-root: moby gives only the bounding set, got %+v", c)
	}
	s = specOf(t, RunOptions{Privileged: true}, specs.User{}, SpecEnv{})
	if !reflect.DeepEqual(s.Process.Capabilities.Bounding, allCaps()) || s.Linux.Seccomp != nil || s.Linux.MaskedPaths != nil {
		t.Fatalf("--privileged: every capability, no seccomp, no masks; got %+v", s.Linux)
	}
}

func TestCapAddDrop(t *testing.T) {
	cases := []struct {
		add, drop []string
		check     func([]string) bool
	}{
		{nil, []string{"ALL"}, func(c []string) bool { return len(c) == 0 && c != nil }},
		{[]string{"net_admin"}, []string{"ALL"}, func(c []string) bool { return reflect.DeepEqual(c, []string{"CAP_NET_ADMIN"}) }},
		{[]string{"ALL"}, nil, func(c []string) bool { return len(c) == len(allCaps()) && slices.Contains(c, "CAP_SYS_ADMIN") }},
		{[]string{"all"}, []string{"CAP_SYS_ADMIN"}, func(c []string) bool {
			return len(c) == len(allCaps())-1 && !slices.Contains(c, "CAP_SYS_ADMIN")
		}},
		{[]string{"SYS_PTRACE", "CAP_CHOWN"}, []string{"kill", "Net_Raw"}, func(c []string) bool {
			return len(c) == 11 && slices.Contains(c, "CAP_SYS_PTRACE") && !slices.Contains(c, "CAP_KILL") && !slices.Contains(c, "CAP_NET_RAW")
		}},
	}
	for _, c := range cases {
		got, err := tweakCaps(c.add, c.drop)
		if err != nil || !c.check(got) {
			t.Errorf("add %v drop %v: got %v %v", c.add, c.drop, got, err)
		}
	}
	for _, bad := range [][2][]string{{{"NOPE"}, nil}, {nil, {"CAP_"}}} {
		if _, err := tweakCaps(bad[0], bad[1]); !errors.Is(err, api.ErrInvalidArgument) {
			t.Errorf("%v: want ErrInvalidArgument, got %v", bad, err)
		}
	}
}
