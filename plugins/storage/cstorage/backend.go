package cstorage

import (
	"context"
	"strings"
	"sync"

	"github.com/rrun-project/rrun/plugins/api"
	"github.com/rrun-project/rrun/storage"
)

// Version is the plugin's semver.
const Version = "0.1.0"

// Backend is an api.Storage on a c/storage store. It is safe for
// concurrent use once configured.
type Backend struct {
	driver string
	mu     sync.RWMutex
	store  *storage.Store
}

var (
	_ api.Storage           = (*Backend)(nil)
	_ api.ImageManager      = (*Backend)(nil)
	_ api.IDMappedRootfs    = (*Backend)(nil)
	_ api.VolatileRootfs    = (*Backend)(nil)
	_ api.BackgroundRemover = (*Backend)(nil)
	_ api.ImageRootfs       = (*Backend)(nil)
)

// New returns an unconfigured backend for driver: "vfs", "overlay" or
// "fuse-overlayfs".
func New(driver string) *Backend { return &Backend{driver: driver} }

// capabilities are every storage call: c/storage backs them all.
var capabilities = []string{
	api.CapStorageLoad, api.CapStorageRootfs, api.CapStoragePull, api.CapStoragePush, api.CapStorageSave,
	api.CapStorageImport, api.CapStorageTag, api.CapStorageRemove, api.CapStorageUsage, api.CapStorageCommit, api.CapStorageBuildCache,
	api.CapStorageRootfsInspect,
	api.CapStorageIDMap, api.CapStoragePrepareImage,
}

// Info describes the backend; it needs no configuration.
func (b *Backend) Info(ctx context.Context) (api.PluginInfo, error) {
	return api.PluginInfo{
		Kind:         api.KindStorage,
		Name:         b.driver,
		Version:      Version,
		APIVersions:  []string{api.APIVersion},
		Capabilities: capabilities,
	}, nil
}

// Configure sets the store up: StateDir is the graph root, RunDir the run
// root, Options["driver"] overrides the driver, Options["additionalimagestores"]
// (comma-separated graph roots) adds read-only image stores, Options["idmap"] = "copy"
// makes keep-id containers use mapped layer copies, and a UIDMap of one uid in
// total makes layers load without chowning. The store itself is opened by
// the first call that needs it.
func (b *Backend) Configure(ctx context.Context, cfg api.Config) error {
	if cfg.APIVersion != "" && cfg.APIVersion != api.APIVersion {
		return api.Errorf(api.ErrInvalidArgument, "upgrade rrun or the plugin",
			"storage plugin %s speaks %s, not %s", b.driver, api.APIVersion, cfg.APIVersion)
	}
	driver := b.driver
	if d := cfg.Options["driver"]; d != "" {
		driver = d
	}
	st, err := storage.New(storage.Options{
		GraphRoot:             cfg.StateDir,
		RunRoot:               cfg.RunDir,
		Driver:                driver,
		SingleIDMapping:       mappedIDs(cfg.UIDMap) == 1,
		AdditionalImageStores: splitList(cfg.Options[OptionAdditionalImageStores]),
		IDMap:                 cfg.Options["idmap"],
	})
	if err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.store != nil {
		return api.Errorf(api.ErrFailedPrecondition, "", "storage plugin %s is already configured", b.driver)
	}
	b.store = st
	return nil
}

// OptionAdditionalImageStores is the storage option (config.toml
// [storage.options]) naming read-only image stores, comma-separated.
const OptionAdditionalImageStores = "additionalimagestores"

func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func mappedIDs(m []api.IDMap) uint64 {
	var n uint64
	for _, e := range m {
		n += uint64(e.Size)
	}
	return n
}

// Close unmounts what the backend mounted and releases the store. The
// plugin process does not need it (its mounts die with it); in-process
// users such as tests do.
func (b *Backend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.store == nil {
		return nil
	}
	err := b.store.Close()
	b.store = nil
	return err
}

func (b *Backend) get() (*storage.Store, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.store == nil {
		return nil, api.Errorf(api.ErrFailedPrecondition, "", "storage plugin %s used before Configure", b.driver)
	}
	return b.store, nil
}
