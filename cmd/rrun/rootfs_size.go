package main

import (
	"context"
	"fmt"
	"slices"

	units "github.com/docker/go-units"

	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/plugins/api"
)

// rootfsInspectorOf returns the storage plugin's RootfsInspector, refusing
// a verb when the plugin does not announce it.
func rootfsInspectorOf(ctx context.Context, s api.Storage, verb string) (api.RootfsInspector, error) {
	info, err := s.Info(ctx)
	if err != nil {
		return nil, err
	}
	ri, ok := s.(api.RootfsInspector)
	if !ok || !slices.Contains(info.Capabilities, api.CapStorageRootfsInspect) {
		return nil, api.Errorf(api.ErrNotImplemented, "use --storage overlay, fuse-overlayfs or vfs",
			"storage backend %s cannot %s (no %s)", info.Name, verb, api.CapStorageRootfsInspect)
	}
	return ri, nil
}

// rootfsSizes measures the root filesystems of ids; a container the
// storage plugin does not know (removed, or of another backend) is left
// out.
func rootfsSizes(ctx context.Context, b *container.Backends, ids []string, verb string) (map[string]api.RootfsSize, error) {
	ri, err := rootfsInspectorOf(ctx, b.Storage, verb)
	if err != nil {
		return nil, err
	}
	out := map[string]api.RootfsSize{}
	for _, id := range ids {
		if sz, err := ri.RootfsSize(ctx, id); err == nil {
			out[id] = sz
		}
	}
	return out, nil
}

// sizeColumn is docker's SIZE: "12.3kB (virtual 4.5MB)".
func sizeColumn(sz api.RootfsSize) string {
	rw := units.HumanSizeWithPrecision(float64(sz.RW), 3)
	if sz.RootFs > 0 {
		return fmt.Sprintf("%s (virtual %s)", rw, units.HumanSizeWithPrecision(float64(sz.RootFs), 3))
	}
	return rw
}
