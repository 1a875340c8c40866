package doctor

import (
	"os"
	"strings"
	"testing"
)

func TestSeccompCheck(t *testing.T) {
	f := newFake(t)
	if r, _ := f.result(t, "seccomp"); r.Status != StatusOK || !strings.Contains(r.Evidence, "libseccomp 2.5.4") {
		t.Errorf("seccomp on a kernel with filters: %+v", r)
	}
	f.Libseccomp = nil
	if r, rep := f.result(t, "seccomp"); r.Status != StatusFail || rep.OK || !strings.Contains(r.Fix, "seccomp=unconfined") {
		t.Errorf("seccomp without libseccomp: %+v", r)
	}
	f = newFake(t)
	if err := os.Remove(f.path("/proc/sys/kernel/seccomp/actions_avail")); err != nil {
		t.Fatal(err)
	}
	if r, _ := f.result(t, "seccomp"); r.Status != StatusFail || !strings.Contains(r.Evidence, "no seccomp filters") {
		t.Errorf("seccomp on a kernel without filters: %+v", r)
	}
}
