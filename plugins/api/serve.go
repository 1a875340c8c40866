package api

import (
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
)

// ServeStorage serves a Storage backend over go-plugin gRPC and returns when
// the host goes away. Call it from the plugin's main.
func ServeStorage(impl Storage) {
	serve(plugin.PluginSet{KindStorage: &StoragePlugin{Impl: impl}})
}

// ServeIsolation serves an Isolation backend over go-plugin gRPC.
func ServeIsolation(impl Isolation) {
	serve(plugin.PluginSet{KindIsolation: &IsolationPlugin{Impl: impl}})
}

func serve(set plugin.PluginSet) {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  Handshake,
		VersionedPlugins: map[int]plugin.PluginSet{WireVersion: set},
		GRPCServer:       grpcServer,
		// Plugin logs go to stderr as plain lines; the host shows them
		// only with --log-level=debug and keeps the last ones for crashes.
		Logger: hclog.New(&hclog.LoggerOptions{Level: hclog.Warn, Output: hclog.DefaultOutput}),
	})
}
