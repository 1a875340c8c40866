package api

import "context"

// CapStorageIDMap announces IDMappedRootfs.
const CapStorageIDMap = "storage.idmap"

// IDMappedRootfs is a Storage that can give a container whose processes
// run in a user namespace of their own (--userns=keep-id) a root filesystem
// on which the image's files keep their owners as seen from inside.
type IDMappedRootfs interface {
	// PrepareMappedRootfs is PrepareRootfs for a container whose user
	// namespace has uidMap and gidMap (container id -> session id): seen
	// through them, every file of the image has the owner the image gives
	// it. The image is never chowned per container: the backend shifts ids
	// at mount time, or keeps one shifted copy per layer and mapping. Calling
	// it again for a container returns equivalent mounts; a container
	// prepared with other maps is ErrAlreadyExists.
	PrepareMappedRootfs(ctx context.Context, containerID, image string, uidMap, gidMap []IDMap) ([]Mount, error)
}
