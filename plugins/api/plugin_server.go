package api

import (
	"context"

	"github.com/rrun-project/rrun/plugins/api/gen/pluginv1"
)

// pluginServer turns rrun.plugin.v1 RPCs into Plugin calls.
type pluginServer struct {
	pluginv1.UnimplementedPluginServer
	impl Plugin
}

func (s *pluginServer) Info(ctx context.Context, _ *pluginv1.InfoRequest) (*pluginv1.InfoResponse, error) {
	info, err := s.impl.Info(ctx)
	if err != nil {
		return nil, toStatus(err)
	}
	return &pluginv1.InfoResponse{Kind: info.Kind, Name: info.Name, Version: info.Version,
		ApiVersions: info.APIVersions, Capabilities: info.Capabilities}, nil
}

func (s *pluginServer) Configure(ctx context.Context, r *pluginv1.ConfigureRequest) (*pluginv1.ConfigureResponse, error) {
	err := s.impl.Configure(ctx, Config{
		APIVersion: r.GetApiVersion(), Options: r.GetOptions(), StateDir: r.GetStateDir(), RunDir: r.GetRunDir(),
		UIDMap: idMapsFromProto(r.GetUidMap()), GIDMap: idMapsFromProto(r.GetGidMap()),
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return &pluginv1.ConfigureResponse{}, nil
}
