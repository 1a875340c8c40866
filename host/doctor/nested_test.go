package doctor

import (
	"fmt"
	"syscall"
	"testing"
)

// In a container whose /proc has masked paths the new /proc is refused:
// the check fails naming each outer container's option.
func TestProcRefusedNamesTheOuterOptions(t *testing.T) {
	f := newFake(t)
	f.ProbeProc = func() error { return syscall.EPERM }
	r, rep := f.result(t, "proc")
	for _, opt := range []string{"--privileged (rrun)", "systempaths=unconfined", "unmask=ALL", "procMount: Unmasked"} {
		expect(t, r, StatusFail, opt)
	}
	if rep.OK {
		t.Fatal("the report must not be ok when no /proc can be mounted")
	}
}

// A seccomp filter refusing user namespaces: the fix names the outer
// options, rrun's --privileged among them.
func TestUserNSRefusedNamesTheOuterOptions(t *testing.T) {
	f := newFake(t)
	f.TryUserNS = func() error { return syscall.EPERM }
	r, _ := f.result(t, "userns")
	for _, opt := range []string{"--privileged (rrun)", "seccomp=unconfined", "seccompProfile.type: Unconfined"} {
		expect(t, r, StatusFail, opt)
	}
}

// A seccomp filter that lets user namespaces be made but refuses
// sethostname in them (podman's default profile): the fix names seccomp.
func TestProcCheckSethostnameRefusedNamesSeccomp(t *testing.T) {
	f := newFake(t)
	f.ProbeProc = func() error { return fmt.Errorf("sethostname: %w", errSyscallFiltered) }
	r, _ := f.result(t, "proc")
	for _, opt := range []string{"seccomp=unconfined (podman)", "--privileged (rrun)"} {
		expect(t, r, StatusFail, opt)
	}
}
