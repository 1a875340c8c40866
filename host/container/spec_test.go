package container

import (
	"errors"
	"reflect"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/rrun-project/rrun/plugins/api"
)

func strp(s string) *string { return &s }

func TestProcessArgsFollowsDocker(t *testing.T) {
	img := ocispec.ImageConfig{Entrypoint: []string{"/entry"}, Cmd: []string{"default"}}
	cases := []struct {
		img   ocispec.ImageConfig
		entry *string
		user  []string
		want  []string
	}{
		{img, nil, nil, []string{"/entry", "default"}},
		{img, nil, []string{"a", "b"}, []string{"/entry", "a", "b"}},
		{ocispec.ImageConfig{Cmd: []string{"sh"}}, nil, nil, []string{"sh"}},
		{ocispec.ImageConfig{Cmd: []string{"sh"}}, nil, []string{"ls"}, []string{"ls"}},
		// --entrypoint replaces ENTRYPOINT and drops CMD.
		{img, strp("/other"), nil, []string{"/other"}},
		{img, strp("/other"), []string{"x"}, []string{"/other", "x"}},
		// --entrypoint "" clears it.
		{img, strp(""), []string{"echo", "hi"}, []string{"echo", "hi"}},
	}
	for _, c := range cases {
		got, err := processArgs(c.img, c.entry, c.user)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Fatalf("%+v %v %v: got %v %v, want %v", c.img, c.entry, c.user, got, err, c.want)
		}
	}
	for _, entry := range []*string{nil, strp("")} {
		i := img
		if entry == nil {
			i = ocispec.ImageConfig{}
		}
		if _, err := processArgs(i, entry, nil); !errors.Is(err, api.ErrInvalidArgument) {
			t.Fatalf("no command (entry %v): want ErrInvalidArgument, got %v", entry, err)
		}
	}
}

func TestProcessEnvFollowsDocker(t *testing.T) {
	t.Setenv("FROM_CALLER", "yes")
	img := ocispec.ImageConfig{Env: []string{"PATH=/bin", "FOO=image", "KEEP=1"}}
	got := processEnv(img, []string{"FOO=flag", "FROM_CALLER", "UNSET_IN_CALLER", "NEW=x=y"}, "abc", false)
	want := []string{"HOSTNAME=abc", "PATH=/bin", "FOO=flag", "KEEP=1", "FROM_CALLER=yes", "NEW=x=y"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if got := processEnv(ocispec.ImageConfig{}, nil, "h", false); !reflect.DeepEqual(got, []string{"HOSTNAME=h", defaultPath}) {
		t.Fatalf("default PATH: got %v", got)
	}
	if got := processEnv(ocispec.ImageConfig{}, nil, "h", true); !hasKey(got, "TERM") || got[len(got)-1] != "TERM=xterm" {
		t.Fatalf("tty: want TERM=xterm, got %v", got)
	}
	if got := processEnv(ocispec.ImageConfig{}, []string{"TERM=vt100"}, "h", true); !reflect.DeepEqual(got[1], "TERM=vt100") || len(got) != 3 {
		t.Fatalf("tty with TERM set: got %v", got)
	}
}
