package container

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

const testID = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

var busyboxImg = ocispec.Image{Config: ocispec.ImageConfig{Cmd: []string{"sh"}, WorkingDir: "/img"}}

func specOf(t *testing.T, o RunOptions, user specs.User, env SpecEnv) *specs.Spec {
	t.Helper()
	s, err := buildSpecEnv(busyboxImg, o, testID, user, env)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestFlagsSetSpecFields: each flag and the spec fields it sets.
func TestFlagsSetSpecFields(t *testing.T) {
	none := specOf(t, RunOptions{}, specs.User{}, SpecEnv{})
	checks := []struct {
		name string
		o    RunOptions
		ok   func(s *specs.Spec) bool
	}{
		{"defaults", RunOptions{}, func(s *specs.Spec) bool {
			return s.Hostname == testID[:12] && s.Process.Cwd == "/img" && !s.Root.Readonly &&
				!s.Process.Terminal && !s.Process.NoNewPrivileges && s.Process.Rlimits == nil && len(s.Linux.Namespaces) == 4
		}},
		{"-w", RunOptions{Workdir: "/w"}, func(s *specs.Spec) bool { return s.Process.Cwd == "/w" }},
		{"--hostname", RunOptions{Hostname: "box"}, func(s *specs.Spec) bool {
			return s.Hostname == "box" && s.Process.Env[0] == "HOSTNAME=box"
		}},
		{"-t", RunOptions{TTY: true}, func(s *specs.Spec) bool { return s.Process.Terminal && hasKey(s.Process.Env, "TERM") }},
		{"--read-only", RunOptions{ReadOnly: true}, func(s *specs.Spec) bool { return s.Root.Readonly }},
		{"--network none", RunOptions{Network: "none"}, func(s *specs.Spec) bool {
			return slices.Contains(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.NetworkNamespace})
		}},
		{"--network host", RunOptions{Network: "host"}, func(s *specs.Spec) bool {
			return !slices.Contains(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.NetworkNamespace})
		}},
		{"--security-opt", RunOptions{SecurityOpt: []string{"no-new-privileges"}}, func(s *specs.Spec) bool { return s.Process.NoNewPrivileges }},
		{"--security-opt :false", RunOptions{SecurityOpt: []string{"no-new-privileges:true", "no-new-privileges:false"}}, func(s *specs.Spec) bool { return !s.Process.NoNewPrivileges }},
		{"--ulimit", RunOptions{Ulimits: []string{"nofile=256:512", "core=-1", "nproc=10"}}, func(s *specs.Spec) bool {
			return reflect.DeepEqual(s.Process.Rlimits, []specs.POSIXRlimit{
				{Type: "RLIMIT_NOFILE", Soft: 256, Hard: 512}, {Type: "RLIMIT_CORE", Soft: math.MaxUint64, Hard: math.MaxUint64},
				{Type: "RLIMIT_NPROC", Soft: 10, Hard: 10}})
		}},
		{"--label", RunOptions{Image: "bb", Labels: map[string]string{"a": "1"}}, func(s *specs.Spec) bool {
			return reflect.DeepEqual(s.Annotations, map[string]string{"a": "1", "io.rrun.image": "bb"})
		}},
		{"--entrypoint", RunOptions{Entrypoint: strp("/bin/echo"), Cmd: []string{"hi"}}, func(s *specs.Spec) bool {
			return reflect.DeepEqual(s.Process.Args, []string{"/bin/echo", "hi"})
		}},
		{"--tmpfs", RunOptions{Tmpfs: []string{"/run:size=1m,exec"}}, func(s *specs.Spec) bool {
			m := s.Mounts[len(s.Mounts)-1]
			return m.Destination == "/run" && m.Type == "tmpfs" && reflect.DeepEqual(m.Options, []string{"nosuid", "nodev", "size=1m", "exec"})
		}},
		{"-u", RunOptions{}, func(s *specs.Spec) bool { return s.Process.User.UID == 0 }},
	}
	for _, c := range checks {
		if s := specOf(t, c.o, specs.User{}, SpecEnv{}); !c.ok(s) {
			t.Errorf("%s: unexpected spec: process %+v root %+v mounts %+v", c.name, *s.Process, *s.Root, s.Mounts)
		}
	}
	if !reflect.DeepEqual(none.Mounts, defaultMounts()) || !reflect.DeepEqual(none.Linux.MaskedPaths, maskedPaths) ||
		!reflect.DeepEqual(none.Linux.ReadonlyPaths, readonlyPaths) || len(none.Linux.Devices) != 6 {
		t.Fatalf("defaults lost: %+v", none)
	}
}

func TestInitWrapsArgsAndMountsInit(t *testing.T) {
	s := specOf(t, RunOptions{Init: true, Cmd: []string{"sleep", "1"}}, specs.User{}, SpecEnv{InitPath: "/opt/rrun-init"})
	if !reflect.DeepEqual(s.Process.Args, []string{"/.rrun/init", "--", "sleep", "1"}) {
		t.Fatalf("args: %v", s.Process.Args)
	}
	want := specs.Mount{Destination: "/.rrun/init", Type: "bind", Source: "/opt/rrun-init", Options: []string{"rbind", "ro"}}
	if !slices.ContainsFunc(s.Mounts, func(m specs.Mount) bool { return reflect.DeepEqual(m, want) }) {
		t.Fatalf("no init mount in %+v", s.Mounts)
	}
	if _, err := buildSpecEnv(busyboxImg, RunOptions{Init: true}, testID, specs.User{}, SpecEnv{}); err == nil {
		t.Fatal("--init without an init binary: want an error")
	}
}

func TestVolumesBecomeBindMounts(t *testing.T) {
	dir := t.TempDir()
	env := SpecEnv{VolumesDir: filepath.Join(dir, "volumes")}
	host := filepath.Join(dir, "host", "made")
	o := RunOptions{
		Volumes: []string{host + ":/h:ro", "data:/d", "/anon"},
		Mounts:  []string{"type=volume,src=data2,dst=/d2,readonly", "type=bind,src=" + dir + ",dst=/b,bind-propagation=rslave"},
		Tmpfs:   []string{"/dev/shm"},
	}
	s := specOf(t, o, specs.User{}, env)
	anon := anonymousName(testID, "/anon")
	want := map[string]specs.Mount{
		"/h":    {Destination: "/h", Type: "bind", Source: host, Options: []string{"rbind", "rprivate", "ro"}},
		"/d":    {Destination: "/d", Type: "bind", Source: filepath.Join(dir, "volumes/data/_data"), Options: []string{"rbind", "rprivate"}},
		"/anon": {Destination: "/anon", Type: "bind", Source: filepath.Join(dir, "volumes", anon, "_data"), Options: []string{"rbind", "rprivate"}},
		"/d2":   {Destination: "/d2", Type: "bind", Source: filepath.Join(dir, "volumes/data2/_data"), Options: []string{"rbind", "rprivate", "ro"}},
		"/b":    {Destination: "/b", Type: "bind", Source: dir, Options: []string{"rbind", "rslave"}},
		// replaces the default /dev/shm
		"/dev/shm": {Destination: "/dev/shm", Type: "tmpfs", Source: "tmpfs", Options: []string{"noexec", "nosuid", "nodev"}},
	}
	for _, m := range s.Mounts {
		if w, ok := want[m.Destination]; ok {
			if !reflect.DeepEqual(m, w) {
				t.Errorf("%s: got %+v, want %+v", m.Destination, m, w)
			}
			delete(want, m.Destination)
		}
	}
	if len(want) != 0 || len(s.Mounts) != len(defaultMounts())-1+6 {
		t.Fatalf("missing %v in %+v", want, s.Mounts)
	}
	for _, p := range []string{host, filepath.Join(dir, "volumes", anon, "anonymous")} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("not created: %v", err)
		}
	}
	names, err := AnonymousVolumes(o, testID)
	if err != nil || !reflect.DeepEqual(names, []string{anon}) || len(anon) != 64 {
		t.Fatalf("anonymous volumes: %v %v", names, err)
	}
}
