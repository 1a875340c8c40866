package api

import (
	"context"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/rrun-project/rrun/plugins/api/gen/isolationv1"
	"github.com/rrun-project/rrun/plugins/api/gen/pluginv1"
	"github.com/rrun-project/rrun/plugins/api/gen/storagev1"
)

// WireVersion is go-plugin's protocol version: it changes only on a wire
// break, and a plugin and a host with no common version refuse each other.
const WireVersion = 1

// Handshake is the go-plugin handshake every rrun plugin and host use. A
// binary started without it tells the user it is a plugin and exits.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  WireVersion,
	MagicCookieKey:   "RRUN_PLUGIN",
	MagicCookieValue: "5f0b7c1e-rrun-plugin-9d2a4c3b8e6f4a1d",
}

// StoragePlugin is the go-plugin glue for a Storage backend. Impl is set on
// the plugin side only.
type StoragePlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl Storage
}

func (p *StoragePlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	pluginv1.RegisterPluginServer(s, &pluginServer{impl: p.Impl})
	storagev1.RegisterStorageServer(s, &storageServer{impl: p.Impl})
	return nil
}

func (p *StoragePlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return NewStorageClient(pluginv1.NewPluginClient(c), storagev1.NewStorageClient(c)), nil
}

// IsolationPlugin is the go-plugin glue for an Isolation backend.
type IsolationPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl Isolation
}

func (p *IsolationPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	pluginv1.RegisterPluginServer(s, &pluginServer{impl: p.Impl})
	isolationv1.RegisterIsolationServer(s, &isolationServer{impl: p.Impl})
	return nil
}

func (p *IsolationPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return NewIsolationClient(pluginv1.NewPluginClient(c), isolationv1.NewIsolationClient(c)), nil
}

// PluginSets is what a host passes as go-plugin's VersionedPlugins.
func PluginSets() map[int]plugin.PluginSet {
	return map[int]plugin.PluginSet{WireVersion: {
		KindStorage:   &StoragePlugin{},
		KindIsolation: &IsolationPlugin{},
	}}
}
