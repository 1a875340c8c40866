package oci_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rrun-project/rrun/plugins/api"
	"github.com/rrun-project/rrun/plugins/isolation/oci"
	"github.com/rrun-project/rrun/plugins/testsuite"
)

// fakeCrun records each command line and the bundle's config.json in
// $FAKE_RUNTIME_LOG, and fails: enough to see what a runtime is handed.
const fakeCrun = `#!/bin/sh
echo "$*" >> "$FAKE_RUNTIME_LOG/args"
while [ $# -gt 0 ]; do
	[ "$1" = --bundle ] && cp "$2/config.json" "$FAKE_RUNTIME_LOG/config.json"
	shift
done
exit 1
`

// handedToRuntime runs Create with spec on a fake crun and returns the
// command lines it ran and the spec it was handed.
func handedToRuntime(t *testing.T, spec *specs.Spec) ([]string, specs.Spec) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("FAKE_RUNTIME_LOG", dir)
	crun := filepath.Join(dir, "crun")
	if err := os.WriteFile(crun, []byte(fakeCrun), 0o755); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(dir, "root")
	if err := os.MkdirAll(filepath.Join(root, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "bin", "true"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	b := oci.NewWithRuntime(crun)
	if err := b.Configure(context.Background(), api.Config{RunDir: filepath.Join(dir, "run")}); err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(spec) // a plain struct: cannot fail
	_, err := b.Create(context.Background(), api.CreateRequest{ID: "c1", SpecJSON: data,
		Rootfs: []api.Mount{{Type: "bind", Source: root, Target: "/", Options: []string{"rbind"}}}})
	if err == nil || !strings.Contains(err.Error(), "create") {
		t.Fatalf("the fake runtime's create must fail Create: %v", err)
	}
	args, _ := os.ReadFile(filepath.Join(dir, "args"))
	var handed specs.Spec
	cfg, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil || json.Unmarshal(cfg, &handed) != nil {
		t.Fatalf("no bundle handed to the runtime: %v", err)
	}
	return strings.Split(strings.TrimSpace(string(args)), "\n"), handed
}

// TestRuntimeAppliesResources: the backend announces isolation.resources
// and hands the runtime the host's cgroupsPath and limits, with crun's
// cgroupfs manager on every command of that container; a spec without a
// cgroup keeps crun's cgroup manager disabled.
func TestRuntimeAppliesResources(t *testing.T) {
	info, _ := oci.New().Info(context.Background())
	if !slices.Contains(info.Capabilities, api.CapIsolationResources) {
		t.Fatalf("capabilities %v lack %s", info.Capabilities, api.CapIsolationResources)
	}
	spec := testsuite.IsolationSpec("/bin/true")
	limit := int64(512 << 20)
	spec.Linux.CgroupsPath = "/user.slice/rrun-c1"
	spec.Linux.Resources = &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit}}
	lines, handed := handedToRuntime(t, spec)
	if handed.Linux.CgroupsPath != "/user.slice/rrun-c1" || handed.Linux.Resources == nil ||
		handed.Linux.Resources.Memory == nil || *handed.Linux.Resources.Memory.Limit != limit {
		t.Fatalf("handed cgroupsPath %q, resources %+v", handed.Linux.CgroupsPath, handed.Linux.Resources)
	}
	for _, l := range lines { // create, then the cleanup's delete
		if !strings.Contains(l, "--cgroup-manager=cgroupfs") {
			t.Errorf("runtime command without the cgroupfs manager: %s", l)
		}
	}
	lines, handed = handedToRuntime(t, testsuite.IsolationSpec("/bin/true"))
	if handed.Linux.CgroupsPath != "" || handed.Linux.Resources != nil {
		t.Fatalf("a spec without a cgroup handed cgroupsPath %q, resources %+v", handed.Linux.CgroupsPath, handed.Linux.Resources)
	}
	for _, l := range lines {
		if !strings.Contains(l, "--cgroup-manager=disabled") {
			t.Errorf("runtime command without a disabled cgroup manager: %s", l)
		}
	}
}
