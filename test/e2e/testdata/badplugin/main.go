// Command badplugin is a storage plugin that misbehaves on purpose, as
// RRUN_BADPLUGIN_MODE says, so the e2e tests can prove how rrun refuses or
// reports it: api-v9 (no common contract version), wrong-kind (claims to
// be an isolation plugin), crash (panics during ListImages), dead-address
// (a valid handshake naming a socket nobody listens on, then exit),
// silent (says something on stderr, never shakes hands), garbage (prints
// a line that is not a handshake and waits). Installed as
// rrun-KIND-bad-MODE, it takes its mode from its name instead; its plugin
// name is always what its file name says.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rrun-project/rrun/plugins/api"
)

type bad struct{ mode, name string }

func (b bad) Info(context.Context) (api.PluginInfo, error) {
	info := api.PluginInfo{Kind: api.KindStorage, Name: b.name, Version: "0.0.1", APIVersions: []string{api.APIVersion}}
	switch b.mode {
	case "api-v9":
		info.APIVersions = []string{"v9"}
	case "wrong-kind":
		info.Kind = api.KindIsolation
	}
	return info, nil
}

func (bad) Configure(context.Context, api.Config) error { return nil }

func (bad) Load(context.Context, string, string, func(string)) ([]api.Image, error) {
	return nil, api.Errorf(api.ErrNotImplemented, "", "bad plugin loads nothing")
}

func (b bad) ListImages(context.Context) ([]api.Image, error) {
	if b.mode == "crash" {
		panic("badplugin: about to crash")
	}
	return nil, nil
}

func (bad) InspectImage(_ context.Context, ref string) (api.ImageDetail, error) {
	return api.ImageDetail{}, api.Errorf(api.ErrNotFound, "", "no image %s", ref)
}

func (bad) PrepareRootfs(context.Context, string, string) ([]api.Mount, error) {
	return nil, api.Errorf(api.ErrNotImplemented, "", "no rootfs")
}

func (bad) ReleaseRootfs(context.Context, string) error { return nil }
func (bad) RemoveRootfs(context.Context, string) error  { return nil }

func main() {
	b := bad{mode: os.Getenv("RRUN_BADPLUGIN_MODE"), name: "bad"}
	if _, name, ok := strings.Cut(filepath.Base(os.Args[0]), "-bad"); ok {
		b.name = "bad" + name
		if m, ok := strings.CutPrefix(name, "-"); ok {
			b.mode = m
		}
	}
	switch b.mode {
	case "dead-address":
		fmt.Printf("1|%d|unix|/nonexistent/rrun-badplugin.sock|grpc\n", api.WireVersion)
		os.Exit(0)
	case "silent":
		fmt.Fprintln(os.Stderr, "badplugin: thinking about it")
		time.Sleep(time.Hour)
	case "garbage":
		fmt.Println("hello, I am not a plugin")
		time.Sleep(time.Hour)
	}
	api.ServeStorage(b)
}
