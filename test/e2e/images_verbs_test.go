package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rrun-project/rrun/plugins/testsuite/fixtures"
)

// inspectID returns the full image ID `image inspect` reports for ref.
func inspectID(t *testing.T, e *env, ref string) string {
	t.Helper()
	var out []struct {
		ID       string `json:"Id"`
		RepoTags []string
		Config   struct{ Env, Cmd []string }
		RootFS   struct {
			Type   string
			Layers []string
		}
	}
	r := e.ok("image", "inspect", ref)
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || len(out) != 1 {
		t.Fatalf("image inspect must print a JSON array of one: %v\n%s", err, r)
	}
	if !strings.HasPrefix(out[0].ID, "sha256:") || len(out[0].RootFS.Layers) == 0 || len(out[0].Config.Cmd) == 0 {
		t.Fatalf("image inspect lacks Id, RootFS.Layers or Config.Cmd: %s", r.stdout)
	}
	return out[0].ID
}

func TestImageSaveLoadRoundTripKeepsID(t *testing.T) {
	e := withBusybox(t)
	id := inspectID(t, e, "busybox")
	e.ok("tag", "busybox", "example.com/team/bb:2")
	docker := filepath.Join(e.home, "saved.tar")
	oci := filepath.Join(e.home, "saved-oci.tar")
	e.ok("save", "-o", docker, "busybox", "example.com/team/bb:2")
	e.ok("save", "--format", "oci-archive", "-o", oci, "example.com/team/bb:2")
	fresh := newEnv(t)
	r := fresh.ok("load", "-i", docker)
	if !strings.Contains(r.stdout, "docker.io/library/busybox:latest") {
		t.Fatalf("load of a saved archive must name the image: %s", r)
	}
	if got := inspectID(t, fresh, "busybox"); got != id {
		t.Fatalf("save/load changed the image ID: %s -> %s", id, got)
	}
	fromStdin := newEnv(t)
	data := must(os.ReadFile(docker))
	if r := fromStdin.run(string(data), "load"); r.code != 0 || !strings.Contains(r.stdout, "busybox") {
		t.Fatalf("load from stdin: %s", r)
	}
	if got := inspectID(t, fromStdin, "busybox"); got != id {
		t.Fatalf("load from stdin changed the image ID: %s -> %s", id, got)
	}
	fresh.ok("load", "-i", oci)
	if r := fresh.ok("run", "--rm", "example.com/team/bb:2", "echo", "oci"); r.stdout != "oci\n" {
		t.Fatalf("run of an image saved as oci-archive: %s", r)
	}
	oneLine(t, e.run("", "save", "-o", filepath.Join(e.home, "x.tar"), "nosuchimage"), "nosuchimage")
	if _, err := os.Stat(filepath.Join(e.home, "x.tar")); err == nil {
		t.Fatal("a failed save left a file behind")
	}
}

func TestImageImportRootfsTarball(t *testing.T) {
	e := newEnv(t)
	es, err := fixtures.BusyboxEntries()
	if err != nil {
		t.Fatal(err)
	}
	tarball := filepath.Join(e.home, "rootfs.tar")
	if err := os.WriteFile(tarball, must(fixtures.Tar(es)), 0o644); err != nil {
		t.Fatal(err)
	}
	r := e.ok("import", tarball, "imported:1")
	if !strings.HasPrefix(r.stdout, "sha256:") {
		t.Fatalf("import must print the image ID: %s", r)
	}
	if r := e.ok("run", "--rm", "imported:1", "/bin/busybox", "echo", "imported"); r.stdout != "imported\n" {
		t.Fatalf("run of an imported image: %s", r)
	}
	half := filepath.Join(e.home, "half.tar")
	data := must(os.ReadFile(tarball))
	if err := os.WriteFile(half, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	before := e.ok("images", "-q").stdout
	oneLine(t, e.run("", "import", half, "broken:1"), "half.tar")
	if after := e.ok("images", "-q").stdout; after != before {
		t.Fatalf("a failed import changed the image list: %q -> %q", before, after)
	}
}

func TestImageTagRmiPrune(t *testing.T) {
	e := withBusybox(t)
	e.ok("tag", "busybox", "other:1")
	list := e.ok("images", "--format", "{{.Repository}}:{{.Tag}}").stdout
	if !strings.Contains(list, "docker.io/library/other:1") || !strings.Contains(list, "docker.io/library/busybox:latest") {
		t.Fatalf("images --format after tag:\n%s", list)
	}
	id := strings.TrimSpace(e.ok("images", "-q").stdout)
	oneLine(t, e.run("", "rmi", id), "several names")
	if r := e.ok("rmi", "other:1"); r.stdout != "Untagged: docker.io/library/other:1\n" {
		t.Fatalf("rmi of one of two names must only untag: %s", r)
	}
	e.ok("run", "busybox", "true") // keeps its container
	oneLine(t, e.run("", "rmi", "busybox"), "used by container")
	if r := e.ok("rmi", "-f", "busybox"); !strings.Contains(r.stdout, "Untagged: docker.io/library/busybox:latest") {
		t.Fatalf("rmi -f must untag: %s", r)
	}
	if r := e.ok("image", "prune", "-a", "-f"); strings.Contains(r.stdout, "deleted:") {
		t.Fatalf("prune must keep an image a container uses: %s", r)
	}
	df := e.ok("system", "df").stdout
	if !strings.Contains(df, "Images ") || !strings.Contains(df, "Containers ") {
		t.Fatalf("system df:\n%s", df)
	}
	oneLine(t, e.run("", "rmi", "nosuchimage"), "nosuchimage")
	unused := withBusybox(t)
	if r := unused.ok("rmi", "busybox"); !strings.Contains(r.stdout, "Deleted: sha256:") {
		t.Fatalf("rmi of an unused image's last name must delete it: %s", r)
	}
	if ids := unused.ok("images", "-q").stdout; ids != "" {
		t.Fatalf("images after rmi: %q", ids)
	}
}

func TestImageInfoShowsProbedStorage(t *testing.T) {
	e := newEnv(t)
	r := e.ok("info")
	for _, want := range []string{"Storage:", "probed:", "ID mapping:", "Data dir:", "storage/vfs"} {
		if !strings.Contains(r.stdout, want) {
			t.Fatalf("info lacks %q:\n%s", want, r.stdout)
		}
	}
	if _, err := os.Stat(filepath.Join(e.home, "data", "rrun", "storage-probe.json")); err != nil {
		t.Fatalf("the probe's answer is not cached: %v", err)
	}
	if r := e.ok("--storage", "vfs", "info"); !strings.Contains(r.stdout, "vfs (chosen with --storage)") {
		t.Fatalf("info with --storage:\n%s", r.stdout)
	}
}

// Each built-in backend loads, pulls and runs.
func TestImageBackends(t *testing.T) {
	reg := newRegistry(t)
	ref, _ := reg.push(t, withBusybox(t), "library/busybox:1")
	for _, backend := range []string{"overlay", "fuse-overlayfs", "vfs"} {
		t.Run(backend, func(t *testing.T) {
			if backend == "fuse-overlayfs" {
				requireFuse(t)
			}
			e := newEnv(t)
			e.ok("--storage", backend, "load", "-q", "-i", busyboxDocker)
			e.ok("--storage", backend, "pull", "-q", "--tls-verify=false", ref)
			for _, img := range []string{"busybox", ref} {
				if r := e.ok("--storage", backend, "run", "--rm", img, "echo", backend); r.stdout != backend+"\n" {
					t.Fatalf("run %s on %s: %s", img, backend, r)
				}
			}
		})
	}
}

func requireFuse(t *testing.T) {
	f, err := os.OpenFile("/dev/fuse", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("fuse-overlayfs needs /dev/fuse: %v", err)
	}
	f.Close()
}
