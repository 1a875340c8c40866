// Command badplugin is a storage plugin that misbehaves on purpose, as
// RRUN_BADPLUGIN_MODE says, so the e2e tests can prove how rrun refuses or
// reports it: api-v9 (no common contract version), wrong-kind (claims to
// be an isolation plugin), crash (panics during ListImages).
package main

import (
	"context"
	"os"

	"github.com/rrun-project/rrun/plugins/api"
)

type bad struct{ mode string }

func (b bad) Info(context.Context) (api.PluginInfo, error) {
	info := api.PluginInfo{Kind: api.KindStorage, Name: "bad", Version: "0.0.1", APIVersions: []string{api.APIVersion}}
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
	api.ServeStorage(bad{mode: os.Getenv("RRUN_BADPLUGIN_MODE")})
}
