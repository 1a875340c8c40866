package container

import (
	"errors"
	"reflect"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/rrun-project/rrun/plugins/api"
)

func TestProcessArgsFollowsDocker(t *testing.T) {
	img := ocispec.ImageConfig{Entrypoint: []string{"/entry"}, Cmd: []string{"default"}}
	cases := []struct {
		img  ocispec.ImageConfig
		user []string
		want []string
	}{
		{img, nil, []string{"/entry", "default"}},
		{img, []string{"a", "b"}, []string{"/entry", "a", "b"}},
		{ocispec.ImageConfig{Cmd: []string{"sh"}}, nil, []string{"sh"}},
		{ocispec.ImageConfig{Cmd: []string{"sh"}}, []string{"ls"}, []string{"ls"}},
	}
	for _, c := range cases {
		got, err := processArgs(c.img, c.user)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Fatalf("%+v %v: got %v %v, want %v", c.img, c.user, got, err, c.want)
		}
	}
	if _, err := processArgs(ocispec.ImageConfig{}, nil); !errors.Is(err, api.ErrInvalidArgument) {
		t.Fatalf("no command: want ErrInvalidArgument, got %v", err)
	}
}

func TestProcessEnvFollowsDocker(t *testing.T) {
	t.Setenv("FROM_CALLER", "yes")
	img := ocispec.ImageConfig{Env: []string{"PATH=/bin", "FOO=image", "KEEP=1"}}
	got := processEnv(img, []string{"FOO=flag", "FROM_CALLER", "UNSET_IN_CALLER", "NEW=x=y"}, "abc")
	want := []string{"HOSTNAME=abc", "PATH=/bin", "FOO=flag", "KEEP=1", "FROM_CALLER=yes", "NEW=x=y"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if got := processEnv(ocispec.ImageConfig{}, nil, "h"); !reflect.DeepEqual(got, []string{"HOSTNAME=h", defaultPath}) {
		t.Fatalf("default PATH: got %v", got)
	}
}
