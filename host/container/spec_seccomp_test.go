package container

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/moby/profiles/seccomp"

	"github.com/rrun-project/rrun/plugins/api"
)

const denyMkdirProfile = `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":13}]}`

func TestLoadSeccompProfile(t *testing.T) {
	s, err := LoadSeccompProfile([]byte(denyMkdirProfile), defaultCaps)
	if err != nil {
		t.Fatal(err)
	}
	if s.DefaultAction != "SCMP_ACT_ALLOW" || len(s.Syscalls) != 1 || *s.Syscalls[0].ErrnoRet != 13 {
		t.Errorf("profile = %+v", s)
	}
	for _, bad := range []string{`{"defaultAction":`, `{"syscalls":[{"names":["read"]}]}`,
		`{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":9,"value":1,"op":"SCMP_CMP_EQ"}]}]}`} {
		if _, err := LoadSeccompProfile([]byte(bad), defaultCaps); !errors.Is(err, api.ErrInvalidArgument) {
			t.Errorf("profile %s: error %v, want ErrInvalidArgument", bad, err)
		}
	}
}

func TestSeccompFor(t *testing.T) {
	def, err := seccompFor(RunOptions{}, defaultCaps)
	if err != nil || def == nil || def.DefaultAction != "SCMP_ACT_ERRNO" {
		t.Fatalf("default profile = %v, %v", def, err)
	}
	for _, o := range []RunOptions{{SecurityOpt: []string{"seccomp=unconfined"}}, {SecurityOpt: []string{"seccomp:unconfined"}}, {Privileged: true}} {
		if s, err := seccompFor(o, defaultCaps); err != nil || s != nil {
			t.Errorf("%+v: %v, %v: want no filter", o, s, err)
		}
	}
	s, err := seccompFor(RunOptions{SecurityOpt: []string{"seccomp=" + denyMkdirProfile}}, defaultCaps)
	if err != nil || s.DefaultAction != "SCMP_ACT_ALLOW" {
		t.Errorf("a profile in the options: %v, %v", s, err)
	}
}

// FuzzSeccompProfile feeds the profile loader (docker's JSON → runtime
// spec section): it must return a section or an error, never panic, and a
// section it returns must have a default action and valid argument indexes.
func FuzzSeccompProfile(f *testing.F) {
	def, err := json.Marshal(seccomp.DefaultProfile())
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{string(def), denyMkdirProfile, `{}`, `{"defaultAction":"SCMP_ACT_KILL"}`,
		`{"defaultAction":"SCMP_ACT_ERRNO","archMap":[{"architecture":"SCMP_ARCH_X86_64","subArchitectures":["SCMP_ARCH_X86"]}],` +
			`"syscalls":[{"name":"clone","action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":2114060288,"op":"SCMP_CMP_MASKED_EQ"}],` +
			`"excludes":{"caps":["CAP_SYS_ADMIN"]},"includes":{"minKernel":"4.8"}}]}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := LoadSeccompProfile(data, defaultCaps)
		if err != nil {
			if !errors.Is(err, api.ErrInvalidArgument) {
				t.Fatalf("error %v is not an invalid-argument error", err)
			}
			return
		}
		if s == nil {
			return
		}
		if s.DefaultAction == "" {
			t.Fatalf("a section without a default action: %+v", s)
		}
	})
}
