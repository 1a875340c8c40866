package cstorage_test

import (
	"testing"

	"github.com/hashicorp/go-plugin"

	"github.com/rrun-project/rrun/plugins/api"
	"github.com/rrun-project/rrun/plugins/storage/cstorage"
	"github.com/rrun-project/rrun/plugins/testsuite"
	"github.com/rrun-project/rrun/plugins/testsuite/fixtures"
)

// newBackend configures a fresh backend whose store is shut down (and its
// mounts undone) before the temp dirs go.
func newBackend(driver string) func(t *testing.T) *cstorage.Backend {
	return func(t *testing.T) *cstorage.Backend {
		b := cstorage.New(driver)
		testsuite.ConfigureStorage(t, b, nil, sessionUIDMap(t))
		t.Cleanup(func() {
			if err := b.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return b
	}
}

func TestConformance(t *testing.T) {
	fixtures.RequireUserNS(t)
	fx := testsuite.NewStorageFixtures(t)
	for _, d := range drivers(t) {
		t.Run(d, func(t *testing.T) {
			nb := newBackend(d)
			testsuite.TestStorage(t, func(t *testing.T) api.Storage { return nb(t) }, fx)
		})
	}
}

// TestConformanceGRPC runs the suite through go-plugin's gRPC client and
// server, so every value and error crosses the wire.
func TestConformanceGRPC(t *testing.T) {
	fixtures.RequireUserNS(t)
	fx := testsuite.NewStorageFixtures(t)
	for _, d := range drivers(t) {
		t.Run(d, func(t *testing.T) {
			testsuite.TestStorage(t, func(t *testing.T) api.Storage {
				impl := cstorage.New(d)
				client, server := plugin.TestPluginGRPCConn(t, false, map[string]plugin.Plugin{
					api.KindStorage: &api.StoragePlugin{Impl: impl},
				})
				t.Cleanup(func() { client.Close(); server.Stop() })
				raw, err := client.Dispense(api.KindStorage)
				if err != nil {
					t.Fatalf("Dispense: %v", err)
				}
				b := raw.(api.Storage)
				testsuite.ConfigureStorage(t, b, nil, sessionUIDMap(t))
				// After ConfigureStorage: cleanups run last first, and the
				// store must be shut down before its temp dirs are removed.
				t.Cleanup(func() { impl.Close() })
				return b
			}, fx)
		})
	}
}

func TestCommitConformance(t *testing.T) {
	fixtures.RequireUserNS(t)
	fx := testsuite.NewStorageFixtures(t)
	for _, d := range drivers(t) {
		t.Run(d, func(t *testing.T) {
			nb := newBackend(d)
			testsuite.TestStorageCommit(t, func(t *testing.T) api.Storage { return nb(t) }, fx)
		})
	}
}

// TestCommitConformanceGRPC runs the commit suite over go-plugin's gRPC.
func TestCommitConformanceGRPC(t *testing.T) {
	fixtures.RequireUserNS(t)
	fx := testsuite.NewStorageFixtures(t)
	testsuite.TestStorageCommit(t, func(t *testing.T) api.Storage {
		impl := cstorage.New("overlay")
		client, server := plugin.TestPluginGRPCConn(t, false, map[string]plugin.Plugin{
			api.KindStorage: &api.StoragePlugin{Impl: impl},
		})
		t.Cleanup(func() { client.Close(); server.Stop() })
		raw, err := client.Dispense(api.KindStorage)
		if err != nil {
			t.Fatalf("Dispense: %v", err)
		}
		b := raw.(api.Storage)
		testsuite.ConfigureStorage(t, b, nil, sessionUIDMap(t))
		t.Cleanup(func() { impl.Close() })
		return b
	}, fx)
}
