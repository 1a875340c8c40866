package api

import (
	"context"

	"github.com/rrun-project/rrun/plugins/api/gen/pluginv1"
)

// pluginClient turns Plugin calls into rrun.plugin.v1 RPCs.
type pluginClient struct {
	c pluginv1.PluginClient
}

func (p pluginClient) Info(ctx context.Context) (PluginInfo, error) {
	r, err := p.c.Info(ctx, &pluginv1.InfoRequest{})
	if err != nil {
		return PluginInfo{}, fromStatus(err)
	}
	return PluginInfo{Kind: r.GetKind(), Name: r.GetName(), Version: r.GetVersion(),
		APIVersions: r.GetApiVersions(), Capabilities: r.GetCapabilities()}, nil
}

func (p pluginClient) Configure(ctx context.Context, cfg Config) error {
	_, err := p.c.Configure(ctx, &pluginv1.ConfigureRequest{
		ApiVersion: cfg.APIVersion, Options: cfg.Options, StateDir: cfg.StateDir, RunDir: cfg.RunDir,
		UidMap: idMapsToProto(cfg.UIDMap), GidMap: idMapsToProto(cfg.GIDMap),
	})
	return fromStatus(err)
}
