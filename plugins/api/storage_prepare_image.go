package api

import "context"

// CapStoragePrepareImage announces ImageRootfs.
const CapStoragePrepareImage = "storage.prepare-image"

// ImageRootfs is a Storage that resolves an image and prepares a root
// filesystem from it in one call: a run makes one round trip to the plugin
// instead of InspectImage then PrepareRootfs, and the root filesystem is
// sure to be made from the image whose config the run uses.
type ImageRootfs interface {
	// PrepareImageRootfs resolves ref as InspectImage does and prepares
	// containerID's root filesystem from that image, as PrepareRootfs does
	// (PrepareVolatileRootfs when volatile is set). It returns the image as
	// InspectImage would, except that Image.Size may be -1: measuring it is
	// not worth a run's time. An image that is not there is ErrNotFound,
	// and nothing is prepared.
	PrepareImageRootfs(ctx context.Context, containerID, ref string, volatile bool) (ImageDetail, []Mount, error)
}
