//go:build linux && cgo

package native_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/plugins/api"
	"github.com/rrun-project/rrun/plugins/isolation/native"
	"github.com/rrun-project/rrun/plugins/testsuite"
)

// BenchmarkContainerTrue is the backend's share of `rrun run --rm IMAGE
// true`: Create (spawn the init, which sets the container up and reports
// ready), Start, Wait and Delete, with docker's default seccomp profile
// (compiled once, then cached) and podman's default capabilities. The
// create-ms metric is Create alone: the init's exec and setup;
// fastest-create-ms, its minimum, is the figure least disturbed by a
// loaded machine.
func BenchmarkContainerTrue(b *testing.B) {
	ctx, be, rootfs := benchBackend(b)
	spec := benchSpec(b, "true")
	var creating time.Duration
	fastest := time.Hour
	cpu0 := childrenCPU()
	for i := 0; b.Loop(); i++ {
		id := fmt.Sprintf("bench-%d", i)
		t0 := time.Now()
		if _, err := be.Create(ctx, api.CreateRequest{ID: id, SpecJSON: spec, Rootfs: rootfs}); err != nil {
			b.Fatal(err)
		}
		took := time.Since(t0)
		creating, fastest = creating+took, min(fastest, took)
		if err := be.Start(ctx, id); err != nil {
			b.Fatal(err)
		}
		if st, err := be.Wait(ctx, id, ""); err != nil || st.Code != 0 {
			b.Fatalf("Wait: %+v, %v", st, err)
		}
		if err := be.Delete(ctx, id); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(creating.Microseconds())/1000/float64(b.N), "create-ms")
	b.ReportMetric(float64(fastest.Microseconds())/1000, "fastest-create-ms")
	b.ReportMetric(float64((childrenCPU()-cpu0).Microseconds())/1000/float64(b.N), "child-cpu-ms")
}

// BenchmarkExecTrue is the backend's share of `rrun exec C true`: Exec
// (the process joins the container and execs `true`) and Wait.
func BenchmarkExecTrue(b *testing.B) {
	ctx, be, rootfs := benchBackend(b)
	if _, err := be.Create(ctx, api.CreateRequest{ID: "bench", SpecJSON: benchSpec(b, "sleep", "1000"), Rootfs: rootfs}); err != nil {
		b.Fatal(err)
	}
	defer be.Delete(context.Background(), "bench")
	if err := be.Start(ctx, "bench"); err != nil {
		b.Fatal(err)
	}
	defer be.Kill(context.Background(), "bench", "", 9)
	proc, err := json.Marshal(testsuite.ExecProcess("true"))
	if err != nil {
		b.Fatal(err)
	}
	cpu0 := childrenCPU()
	for i := 0; b.Loop(); i++ {
		id := fmt.Sprintf("e%d", i)
		if _, err := be.Exec(ctx, api.ExecRequest{ID: "bench", ExecID: id, ProcessJSON: proc}); err != nil {
			b.Fatal(err)
		}
		if st, err := be.Wait(ctx, "bench", id); err != nil || st.Code != 0 {
			b.Fatalf("Wait: %+v, %v", st, err)
		}
	}
	b.ReportMetric(float64((childrenCPU()-cpu0).Microseconds())/1000/float64(b.N), "child-cpu-ms")
}

// childrenCPU is the user+system time of the reaped children of the
// process: unlike wall time, it does not count waiting for a CPU on a
// loaded machine.
func childrenCPU() time.Duration {
	var ru unix.Rusage
	_ = unix.Getrusage(unix.RUSAGE_CHILDREN, &ru) // cannot fail for this target
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchBackend returns a configured backend and a busybox root filesystem.
func benchBackend(b *testing.B) (context.Context, api.Isolation, []api.Mount) {
	ctx := context.Background()
	be := native.New()
	if err := be.Configure(ctx, api.Config{RunDir: b.TempDir()}); err != nil {
		b.Fatal(err)
	}
	root := filepath.Join(b.TempDir(), "rootfs")
	for _, d := range []string{"bin", "dev", "proc", "sys", "tmp"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			b.Fatal(err)
		}
	}
	busybox, err := os.ReadFile(testsuite.BusyboxPath)
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "bin/busybox"), busybox, 0o755); err != nil {
		b.Fatal(err)
	}
	for _, applet := range []string{"true", "sleep", "sh"} {
		if err := os.Symlink("busybox", filepath.Join(root, "bin", applet)); err != nil {
			b.Fatal(err)
		}
	}
	return ctx, be, []api.Mount{{Type: "bind", Source: root, Target: "/", Options: []string{"rbind", "rw"}}}
}

// benchSpec is testsuite.IsolationSpec with podman's default capabilities
// and docker's default seccomp profile, as rrun sends.
func benchSpec(b *testing.B, args ...string) []byte {
	spec := testsuite.IsolationSpec(args...)
	caps := []string{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
		"CAP_NET_BIND_SERVICE", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_CHROOT"}
	spec.Process.Capabilities = &specs.LinuxCapabilities{Bounding: caps, Effective: caps, Permitted: caps}
	prof, err := seccomp.GetDefaultProfile(spec)
	if err != nil {
		b.Fatal(err)
	}
	spec.Linux.Seccomp = prof
	data, err := json.Marshal(spec)
	if err != nil {
		b.Fatal(err)
	}
	return data
}
