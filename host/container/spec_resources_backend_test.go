package container

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rrun-project/rrun/host/cgroups"
	"github.com/rrun-project/rrun/host/pluginmgr"
	"github.com/rrun-project/rrun/plugins/api"
)

const userCgroup = "/user.slice/user-1000.slice/user@1000.service/app.slice/term.scope"

// fakeCgroupHost is a tree under a temp root; v2 makes it a unified host
// whose cgroups, down to the process's own, offer memory, cpu and pids
// and belong to the user; otherwise it is this CI's hybrid host (v1 plus
// an empty cgroup2 that belongs to root).
func fakeCgroupHost(t *testing.T, v2 bool) *cgroups.Host {
	root, uid := t.TempDir(), os.Getuid()+1
	files := map[string]string{
		"/proc/self/cgroup":                         "10:hugetlb:/\n4:memory:/\n0::/\n",
		"/sys/fs/cgroup/unified/cgroup.controllers": "",
	}
	if v2 {
		uid = os.Getuid()
		files = map[string]string{"/proc/self/cgroup": "0::" + userCgroup + "\n"}
		for dir := userCgroup; ; dir = filepath.Dir(dir) {
			files[filepath.Join("/sys/fs/cgroup", dir, "cgroup.controllers")] = "cpu io memory pids"
			files[filepath.Join("/sys/fs/cgroup", dir, "cgroup.subtree_control")] = ""
			if dir == "/" {
				break
			}
		}
	}
	for p, content := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return &cgroups.Host{Root: root, UID: uid}
}

// treeFiles lists every file under root with its content.
func treeFiles(t *testing.T, root string) map[string]string {
	out := map[string]string{}
	err := filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		out[strings.TrimPrefix(p, root)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// fakeStorage serves one image and a bind rootfs; fakeIsolation records
// the spec it is sent. Methods a test does not use are the embedded nil
// interface's (a call panics).
type fakeStorage struct{ api.Storage }

func (fakeStorage) InspectImage(context.Context, string) (api.ImageDetail, error) {
	cfg, _ := json.Marshal(busyboxImg) // a plain struct: cannot fail
	return api.ImageDetail{Image: api.Image{ID: "img"}, ConfigJSON: cfg}, nil
}

func (fakeStorage) PrepareRootfs(_ context.Context, id, _ string) ([]api.Mount, error) {
	return []api.Mount{{Type: "bind", Source: "/nonexistent/" + id, Target: "/", Options: []string{"rbind"}}}, nil
}

func (fakeStorage) ReleaseRootfs(context.Context, string) error { return nil }

type fakeIsolation struct {
	api.Isolation
	spec specs.Spec
}

func (f *fakeIsolation) Create(_ context.Context, req api.CreateRequest) (int, error) {
	return 1, json.Unmarshal(req.SpecJSON, &f.spec)
}

// fakeBackends are the two fakes, the isolation one announcing caps.
func fakeBackends(iso *fakeIsolation, caps ...string) *Backends {
	return &Backends{Storage: fakeStorage{}, Isolation: iso, insts: []*pluginmgr.Instance{
		{Storage: fakeStorage{}, Info: api.PluginInfo{Kind: api.KindStorage, Name: "fake"}},
		{Isolation: iso, Info: api.PluginInfo{Kind: api.KindIsolation, Name: "fake", Capabilities: caps}},
	}}
}

// sentSpec runs Prepare and Create against the fakes and returns the spec
// the isolation backend received.
func sentSpec(t *testing.T, h *cgroups.Host, o RunOptions, caps ...string) (specs.Spec, error) {
	t.Helper()
	iso := &fakeIsolation{}
	b := fakeBackends(iso, append(caps, api.CapIsolationSeccomp)...)
	o.Image = "busybox"
	p, err := Prepare(context.Background(), b, o, testID, SpecEnv{cgroupHost: h}, func(string) {})
	if err != nil {
		return specs.Spec{}, err
	}
	if _, err := Create(context.Background(), b, p, api.Stdio{}); err != nil {
		t.Fatal(err)
	}
	return iso.spec, nil
}

var limitOpts = RunOptions{Memory: "512m", CPUs: "1.5", PidsLimit: 64}

// TestBackendAppliesResources: to a backend that announces
// isolation.resources the host sends the limits and the cgroup path in the
// spec and writes nothing in the cgroup tree.
func TestBackendAppliesResources(t *testing.T) {
	h := fakeCgroupHost(t, true)
	before := treeFiles(t, h.Root)
	spec, err := sentSpec(t, h, limitOpts, api.CapIsolationResources)
	if err != nil {
		t.Fatal(err)
	}
	wantPath := filepath.Join(filepath.Dir(userCgroup), cgroups.NameFor(testID))
	if spec.Linux.CgroupsPath != wantPath {
		t.Fatalf("cgroupsPath %q, want %q", spec.Linux.CgroupsPath, wantPath)
	}
	want := map[string]string{"memory.max": "536870912", "cpu.max": "150000 100000", "pids.max": "64"}
	if got := cgroups.Files(spec.Linux.Resources); !reflect.DeepEqual(got, want) {
		t.Fatalf("limits in the spec %v, want %v", got, want)
	}
	if after := treeFiles(t, h.Root); !reflect.DeepEqual(after, before) {
		t.Fatalf("the host wrote cgroup files for a backend that applies the limits itself: %v", after)
	}
	if _, err := os.Stat(filepath.Join(h.Root, "/sys/fs/cgroup", wantPath)); err == nil {
		t.Fatal("the host made the container's cgroup")
	}
}

// TestHostAppliesResources: without the capability the host makes the
// cgroup, writes the limits and sends its path with them (the old path).
func TestHostAppliesResources(t *testing.T) {
	h := fakeCgroupHost(t, true)
	spec, err := sentSpec(t, h, limitOpts)
	if err != nil {
		t.Fatal(err)
	}
	wantPath := filepath.Join(filepath.Dir(userCgroup), cgroups.NameFor(testID))
	if spec.Linux.CgroupsPath != wantPath || spec.Linux.Resources == nil {
		t.Fatalf("cgroupsPath %q, resources %v", spec.Linux.CgroupsPath, spec.Linux.Resources)
	}
	dir := filepath.Join(h.Root, "/sys/fs/cgroup", wantPath)
	for f, v := range map[string]string{"memory.max": "536870912", "cpu.max": "150000 100000", "pids.max": "64"} {
		if b, err := os.ReadFile(filepath.Join(dir, f)); err != nil || string(b) != v {
			t.Errorf("%s: %q (%v), want %q", f, b, err, v)
		}
	}
}

// TestResourcesRefusedAlikeOnV1: on a host without a delegated cgroup v2
// the refusal is the same, word for word, whoever would apply the limits;
// without limits neither path sets a cgroup.
func TestResourcesRefusedAlikeOnV1(t *testing.T) {
	h := fakeCgroupHost(t, false)
	_, hostErr := sentSpec(t, h, RunOptions{Memory: "10m"})
	_, backendErr := sentSpec(t, h, RunOptions{Memory: "10m"}, api.CapIsolationResources)
	if hostErr == nil || backendErr == nil || hostErr.Error() != backendErr.Error() {
		t.Fatalf("refusals differ:\n host:    %v\n backend: %v", hostErr, backendErr)
	}
	if !strings.Contains(backendErr.Error(), "memory limits need cgroup v2") {
		t.Fatalf("refusal %q", backendErr)
	}
	for _, caps := range [][]string{nil, {api.CapIsolationResources}} {
		spec, err := sentSpec(t, h, RunOptions{}, caps...)
		if err != nil || spec.Linux.CgroupsPath != "" || spec.Linux.Resources != nil {
			t.Fatalf("no limits on v1 (caps %v): cgroupsPath %q, resources %v, %v", caps, spec.Linux.CgroupsPath, spec.Linux.Resources, err)
		}
	}
}
