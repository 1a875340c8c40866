package doctor

import (
	"strings"
	"syscall"
	"testing"
)

func TestUserNSSysctlsFailWithTheirFix(t *testing.T) {
	cases := []struct {
		file, value, fix string
		tryWorks         bool
	}{
		{"/proc/sys/user/max_user_namespaces", "0", "sudo sysctl -w user.max_user_namespaces=28633", false},
		{"/proc/sys/kernel/unprivileged_userns_clone", "0", "sudo sysctl -w kernel.unprivileged_userns_clone=1", false},
		{"/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "1", "sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0", false},
		// AppArmor lets the namespace be made but strips its capabilities.
		{"/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "1", "kernel.apparmor_restrict_unprivileged_userns=0", true},
	}
	for _, c := range cases {
		t.Run(c.file+"="+c.value, func(t *testing.T) {
			f := newFake(t)
			f.write(t, c.file, c.value+"\n")
			if !c.tryWorks {
				f.TryUserNS = func() error { return syscall.EPERM }
			}
			r, rep := f.result(t, "userns")
			expect(t, r, StatusFail, c.fix)
			expect(t, r, StatusFail, "/etc/sysctl.d/")
			if rep.OK {
				t.Fatal("the report must not be ok without user namespaces")
			}
		})
	}
}

func TestUserNSRefusedWithoutSysctlNamesSeccomp(t *testing.T) {
	f := newFake(t)
	f.TryUserNS = func() error { return syscall.EPERM }
	r, _ := f.result(t, "userns")
	expect(t, r, StatusFail, "seccomp")
	if !strings.Contains(r.Evidence, "operation not permitted") {
		t.Fatalf("want the error in the evidence: %+v", r)
	}
}

func TestUserNSEvidenceNamesSysctls(t *testing.T) {
	f := newFake(t)
	f.write(t, "/proc/sys/kernel/unprivileged_userns_clone", "1\n")
	r, _ := f.result(t, "userns")
	for _, want := range []string{"user.max_user_namespaces=15000", "kernel.unprivileged_userns_clone=1", "ok"} {
		if r.Status != StatusOK || !strings.Contains(r.Evidence, want) {
			t.Fatalf("want ok naming %q: %+v", want, r)
		}
	}
}

func TestHasPermittedCap(t *testing.T) {
	setgid := []byte{0, 0, 0, 2, 1 << capSetgid, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	if !hasPermittedCap(setgid, capSetgid) || hasPermittedCap(setgid, capSetuid) || hasPermittedCap(nil, capSetuid) {
		t.Fatal("wrong reading of vfs_cap_data")
	}
}
