package container

import (
	"errors"
	"reflect"
	"testing"

	"github.com/rrun-project/rrun/plugins/api"
)

func TestParseVolume(t *testing.T) {
	cases := map[string]userMount{
		"/ctr":            {Kind: "volume", Dest: "/ctr"},
		"name:/ctr":       {Kind: "volume", Source: "name", Dest: "/ctr"},
		"name:/ctr:ro":    {Kind: "volume", Source: "name", Dest: "/ctr", ReadOnly: true},
		"/h:/c":           {Kind: "bind", Source: "/h", Dest: "/c", MkSource: true},
		"./h:/c:rw,Z":     {Kind: "bind", Source: "./h", Dest: "/c", MkSource: true},
		"/h:/c:ro,rslave": {Kind: "bind", Source: "/h", Dest: "/c", ReadOnly: true, MkSource: true, Options: []string{"rslave"}},
	}
	for in, want := range cases {
		got, err := parseVolume(in)
		got.Flag = ""
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%q: got %+v %v, want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "rel", "/h:rel", "/h:/", ":/c", "/h:/c:bogus", "/h:/c:ro,rw", "a:b:c:d", "bad name:/c", "/c:ro", "n:/c:rslave"} {
		if _, err := parseVolume(bad); !errors.Is(err, api.ErrInvalidArgument) {
			t.Errorf("%q: want ErrInvalidArgument, got %v", bad, err)
		}
	}
}

func TestParseMount(t *testing.T) {
	cases := map[string]userMount{
		"type=bind,src=/h,dst=/c,readonly":                 {Kind: "bind", Source: "/h", Dest: "/c", ReadOnly: true},
		"type=bind,source=/h,target=/c,ro=false":           {Kind: "bind", Source: "/h", Dest: "/c"},
		"dst=/c":                                           {Kind: "volume", Dest: "/c"},
		"type=volume,src=v,destination=/c,volume-nocopy":   {Kind: "volume", Source: "v", Dest: "/c"},
		"type=tmpfs,dst=/t,tmpfs-size=64m,tmpfs-mode=1770": {Kind: "tmpfs", Dest: "/t", Options: []string{"size=67108864", "mode=1770"}},
		`"type=bind","src=/a,b",dst=/c`:                    {Kind: "bind", Source: "/a,b", Dest: "/c"},
	}
	for in, want := range cases {
		got, err := parseMount(in)
		got.Flag = ""
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%q: got %+v %v, want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"type=bind,dst=/c", "type=bind,src=/h", "type=nfs,dst=/c", "type=tmpfs,src=x,dst=/t",
		"type=tmpfs,dst=/t,tmpfs-size=lots", "type=tmpfs,dst=/t,tmpfs-mode=9", "type=bind,src=/h,dst=/c,tmpfs-size=1m",
		"type=volume,src=/abs,dst=/c", "dst=/c,colour=red", "type=bind,src=/h,dst=/c,readonly=maybe", "type=volume,volume-driver=nfs,dst=/c"} {
		if _, err := parseMount(bad); !errors.Is(err, api.ErrInvalidArgument) {
			t.Errorf("%q: want ErrInvalidArgument, got %v", bad, err)
		}
	}
}

func TestTmpfsOptionsOverrideDefaults(t *testing.T) {
	cases := map[string][]string{
		"/t":                 {"noexec", "nosuid", "nodev"},
		"/t:exec,size=1m":    {"nosuid", "nodev", "exec", "size=1m"},
		"/t:size=1m,size=2m": {"noexec", "nosuid", "nodev", "size=2m"},
		"/t:ro,rw,suid":      {"noexec", "nodev", "rw", "suid"},
	}
	for in, want := range cases {
		m, err := parseTmpfs(in)
		if got := tmpfsOptions(m); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%q: got %v %v, want %v", in, got, err, want)
		}
	}
}

func TestDuplicateMountPoints(t *testing.T) {
	o := RunOptions{Volumes: []string{"/h:/c"}, Tmpfs: []string{"/c/"}}
	if _, err := collectMounts(o); !errors.Is(err, api.ErrInvalidArgument) {
		t.Fatalf("want ErrInvalidArgument, got %v", err)
	}
}

func TestParseBytes(t *testing.T) {
	cases := map[string]int64{"65536": 65536, "64k": 65536, "64KB": 65536, "1m": 1 << 20, "2g": 2 << 30, "1MiB": 1 << 20}
	for in, want := range cases {
		if got, err := parseBytes(in); err != nil || got != want {
			t.Errorf("%q: got %d %v", in, got, err)
		}
	}
}
