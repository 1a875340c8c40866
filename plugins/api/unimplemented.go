package api

import "context"

// UnimplementedStorage answers every image-management call with
// ErrNotImplemented. A storage plugin that only serves root filesystems
// embeds it and implements Plugin, ListImages, InspectImage and the rootfs
// calls; calls added to the contract later then compile and fail cleanly.
// Announce only the capabilities you implement.
type UnimplementedStorage struct{}

func notImplemented(call string) error {
	return Errorf(ErrNotImplemented, "use a storage backend that has this capability (rrun plugins ls)",
		"this storage backend does not implement %s", call)
}

func (UnimplementedStorage) Load(context.Context, string, string, func(string)) ([]Image, error) {
	return nil, notImplemented("load")
}

func (UnimplementedStorage) Pull(context.Context, string, TransferOptions, func(LayerProgress)) (Image, error) {
	return Image{}, notImplemented("pull")
}

func (UnimplementedStorage) Push(context.Context, string, string, TransferOptions, func(LayerProgress)) (string, error) {
	return "", notImplemented("push")
}

func (UnimplementedStorage) Save(context.Context, string, string, []string) error {
	return notImplemented("save")
}

func (UnimplementedStorage) Import(context.Context, string, string) (Image, error) {
	return Image{}, notImplemented("import")
}

func (UnimplementedStorage) Tag(context.Context, string, string) error { return notImplemented("tag") }

func (UnimplementedStorage) RemoveImage(context.Context, string, bool) (RemovedImage, error) {
	return RemovedImage{}, notImplemented("image removal")
}

func (UnimplementedStorage) Prune(context.Context, bool) (PruneReport, error) {
	return PruneReport{}, notImplemented("prune")
}

func (UnimplementedStorage) Usage(context.Context) (StorageUsage, error) {
	return StorageUsage{}, notImplemented("usage")
}
