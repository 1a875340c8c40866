package main

import (
	"context"

	"github.com/rrun-project/rrun/plugins/api"
)

// The image calls: this plugin serves one directory, so it announces none
// of their capabilities and answers each with ErrNotImplemented.

const imagesHint = "use a storage plugin that manages images, e.g. overlay"

func notImplemented(call string) error {
	return api.Errorf(api.ErrNotImplemented, imagesHint, "rootfsdir serves one directory and cannot %s", call)
}

func (b *backend) Pull(context.Context, string, api.TransferOptions, func(api.LayerProgress)) (api.Image, error) {
	return api.Image{}, notImplemented("pull")
}

func (b *backend) Push(context.Context, string, string, api.TransferOptions, func(api.LayerProgress)) (string, error) {
	return "", notImplemented("push")
}

func (b *backend) Save(context.Context, string, string, []string) error {
	return notImplemented("save")
}

func (b *backend) Import(context.Context, string, string) (api.Image, error) {
	return api.Image{}, notImplemented("import")
}

func (b *backend) Tag(context.Context, string, string) error { return notImplemented("tag") }

func (b *backend) RemoveImage(context.Context, string, bool) (api.RemovedImage, error) {
	return api.RemovedImage{}, notImplemented("remove images")
}

func (b *backend) Prune(context.Context, bool) (api.PruneReport, error) {
	return api.PruneReport{}, notImplemented("prune")
}

func (b *backend) Usage(context.Context) (api.StorageUsage, error) {
	return api.StorageUsage{}, notImplemented("report disk usage")
}

var _ api.ImageManager = (*backend)(nil)
