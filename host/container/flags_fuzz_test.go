package container

import (
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/rrun-project/rrun/host/volume"
)

// FuzzVolume checks an accepted -v (and --tmpfs) value: an absolute
// destination other than /, a bind from a host path or a named volume,
// and, once Resolve made a relative host path absolute against cwd, a
// value that means the same mount.
func FuzzVolume(f *testing.F) {
	for _, v := range []string{"/c", "/h:/c", "/h:/c:ro", "./d:/c:rw,rshared", "name:/c:ro,z", "..:/c", ".:/c:nocopy",
		"/h:/c:ro,ro", "n:/", "/h:rel", "/c:size=64m,mode=1777", "a:b:c:d"} {
		f.Add(v, "/work/dir")
	}
	f.Add("./d:/c", "/we:ird")
	f.Fuzz(func(t *testing.T, v, cwd string) {
		if m, err := parseTmpfs(v); err == nil {
			checkUserMount(t, v, m)
		}
		m, err := parseVolume(v)
		if err != nil {
			return
		}
		checkUserMount(t, v, m)
		if m.Kind == "bind" && !isHostPath(m.Source) || m.Kind == "volume" && m.Source != "" && volume.ValidateName(m.Source) != nil {
			t.Fatalf("%q: source %q is not a %s source", v, m.Source, m.Kind)
		}
		if !filepath.IsAbs(cwd) {
			return
		}
		o := RunOptions{Volumes: []string{v}}
		if err := o.resolveMounts(cwd); err != nil {
			return
		}
		r, err := parseVolume(o.Volumes[0])
		if err != nil {
			t.Fatalf("%q resolved against %q to %q, which fails: %v", v, cwd, o.Volumes[0], err)
		}
		want := m
		if m.Kind == "bind" && !filepath.IsAbs(m.Source) {
			want.Source = filepath.Join(cwd, m.Source)
		}
		want.Flag = r.Flag
		if !reflect.DeepEqual(r, want) {
			t.Fatalf("%q resolved against %q to %q: %+v, want %+v", v, cwd, o.Volumes[0], r, want)
		}
	})
}

// FuzzMount checks an accepted --mount value: a known type, an absolute
// destination other than /, a source where the type needs one, valid
// tmpfs options, and a bind source that Resolve rewrites to an absolute
// path keeping the rest of the mount.
func FuzzMount(f *testing.F) {
	for _, v := range []string{"type=bind,src=/h,dst=/c", "type=bind,source=.,target=/c,readonly", "dst=/c",
		"type=volume,src=name,dst=/c,ro=false", "type=tmpfs,dst=/t,tmpfs-size=64m,tmpfs-mode=1777",
		`type=bind,"src=/a,b",dst=/c,bind-propagation=rslave`, " Type=bind,SRC=x,dst=/c", "type=tmpfs,dst=/t,tmpfs-size=9223372036854775807k",
		"type=bind,src=a\"b,dst=/c", "dst=/c\r", "type=volume,dst=/c,volume-driver=local,volume-nocopy"} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		m, err := parseMount(v)
		if err != nil {
			return
		}
		checkUserMount(t, v, m)
		switch {
		case m.Kind == "bind" && m.Source == "":
			t.Fatalf("%q: a bind with no source", v)
		case m.Kind == "tmpfs" && m.Source != "":
			t.Fatalf("%q: a tmpfs with a source", v)
		case m.Kind == "volume" && isHostPath(m.Source):
			t.Fatalf("%q: a volume from a host path", v)
		}
		if m.Kind == "tmpfs" {
			checkTmpfsOptions(t, v, m.Options)
		}
		if m.Kind != "bind" {
			return
		}
		src := filepath.Join("/abs, \"dir\"", m.Source)
		w, err := withMountSource(v, src)
		if err != nil {
			t.Fatalf("%q: source not rewritten: %v", v, err)
		}
		r, err := parseMount(w)
		want := m
		want.Source, want.Flag = src, r.Flag
		if err != nil || !reflect.DeepEqual(r, want) {
			t.Fatalf("%q with source %q is %q: %+v, %v; want %+v", v, src, w, r, err, want)
		}
	})
}

// checkUserMount checks what every accepted mount value promises.
func checkUserMount(t *testing.T, v string, m userMount) {
	t.Helper()
	if !filepath.IsAbs(m.Dest) || filepath.Clean(m.Dest) == "/" {
		t.Fatalf("%q: destination %q is not an absolute path other than /", v, m.Dest)
	}
	switch m.Kind {
	case "bind", "volume":
		for _, o := range m.Options {
			if !propagations[o] {
				t.Fatalf("%q: option %q is not a propagation", v, o)
			}
		}
	case "tmpfs":
	default:
		t.Fatalf("%q: kind %q", v, m.Kind)
	}
}

// checkTmpfsOptions checks the options --mount's tmpfs-size and
// tmpfs-mode become: a byte count and an octal mode.
func checkTmpfsOptions(t *testing.T, v string, opts []string) {
	t.Helper()
	for _, o := range opts {
		key, val, _ := strings.Cut(o, "=")
		var err error
		switch key {
		case "size":
			var n int64
			if n, err = strconv.ParseInt(val, 10, 64); n < 0 {
				t.Fatalf("%q: negative tmpfs size %q", v, val)
			}
		case "mode":
			_, err = strconv.ParseUint(val, 8, 32)
		default:
			t.Fatalf("%q: tmpfs option %q", v, o)
		}
		if err != nil {
			t.Fatalf("%q: tmpfs option %q: %v", v, o, err)
		}
	}
}
