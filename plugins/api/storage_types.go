package api

// TransferOptions tune a registry transfer (Pull, Push).
type TransferOptions struct {
	// Platform is "os/arch[/variant]"; "" picks the host's.
	Platform string
	// InsecureSkipTLSVerify allows plain http and unverified https.
	InsecureSkipTLSVerify bool
	// AuthFile overrides the credential lookup; "" reads
	// $XDG_RUNTIME_DIR/containers/auth.json, then ~/.docker/config.json.
	AuthFile string
}

// Layer transfer statuses reported in LayerProgress.Status.
const (
	LayerDownloading = "downloading"
	LayerUploading   = "uploading"
	LayerDone        = "done"
	LayerExists      = "exists" // already at the destination, skipped
)

// LayerProgress is one step of one blob's transfer.
type LayerProgress struct {
	ID     string // the blob digest
	Done   int64  // bytes done
	Total  int64  // bytes in all, -1 when unknown
	Status string
}

// RemovedImage is what RemoveImage did, in docker's terms.
type RemovedImage struct {
	Untagged []string // names taken off
	Deleted  []string // image IDs deleted
}

// PruneReport is what Prune deleted.
type PruneReport struct {
	Deleted   []string // image IDs
	Reclaimed int64    // bytes freed
}

// StorageUsage is the disk use of a store, for `rrun system df`. Sizes are
// in bytes; a layer shared by images is counted once.
type StorageUsage struct {
	Images            int64
	ActiveImages      int64 // used by at least one container
	ImagesSize        int64
	ImagesReclaimable int64 // freed by removing the images no container uses
	Containers        int64
	ContainersSize    int64 // the containers' own writable layers
	Layers            int64
	LayersSize        int64
}
