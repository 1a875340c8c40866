//go:build linux && cgo

package native

import (
	"runtime"
	"testing"
	"time"

	"github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// defaultSeccomp is docker's default profile for podman's default caps.
func defaultSeccomp(tb testing.TB) *specs.LinuxSeccomp {
	caps := []string{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
		"CAP_NET_BIND_SERVICE", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_CHROOT"}
	s, err := seccomp.GetDefaultProfile(&specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{Bounding: caps}}})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// TestSeccompDefaultProfileLoads compiles docker's default profile and
// loads it on a throw-away thread, where a denied syscall then fails with
// the profile's EPERM and an allowed one works.
func TestSeccompDefaultProfileLoads(t *testing.T) {
	p, err := newSeccompProgram(defaultSeccomp(t))
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan [3]error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		var r [3]error
		r[0] = unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
		if r[0] == nil {
			r[0] = p.Load()
		}
		_, r[1] = unix.KeyctlInt(unix.KEYCTL_GET_KEYRING_ID, unix.KEY_SPEC_SESSION_KEYRING, 0, 0, 0)
		_, r[2] = unix.Getcwd(make([]byte, 256))
		errs <- r
	}()
	r := <-errs
	if r[0] != nil || r[1] != unix.EPERM || r[2] != nil {
		t.Errorf("load: %v; keyctl under the filter: %v (want EPERM); getcwd: %v (want nil)", r[0], r[1], r[2])
	}
}

// BenchmarkSeccompCompile is the plugin's cost per Create: docker's default
// profile to BPF with libseccomp.
func BenchmarkSeccompCompile(b *testing.B) {
	s := defaultSeccomp(b)
	for b.Loop() {
		if _, err := newSeccompProgram(s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSeccompLoad is the init's cost: loading the compiled program
// (plus a thread start, the only way to get a fresh thread to load into).
func BenchmarkSeccompLoad(b *testing.B) {
	p, err := newSeccompProgram(defaultSeccomp(b))
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan error)
	var loading, cpu time.Duration
	for b.Loop() {
		go func() {
			runtime.LockOSThread()
			err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
			start, cpu0 := time.Now(), threadCPU()
			if err == nil {
				err = p.Load()
			}
			loading, cpu = loading+time.Since(start), cpu+threadCPU()-cpu0
			done <- err
		}()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(loading.Nanoseconds())/float64(b.N), "load-ns/op")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "load-cpu-ns/op")
	b.ReportMetric(float64(len(p.BPF)/8), "instructions")
}

// threadCPU is the CPU time of the calling thread: unlike wall time, it
// does not count waiting for a CPU on a loaded machine.
func threadCPU() time.Duration {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts) // cannot fail for this clock
	return time.Duration(ts.Nano())
}
