package api

// Capabilities of the image calls added to rrun.storage.v1. A storage
// plugin announces in Info each call it serves; the host refuses a verb
// whose capability is missing before starting any work.
const (
	CapStoragePull   = "storage.pull"
	CapStoragePush   = "storage.push"
	CapStorageSave   = "storage.save"
	CapStorageImport = "storage.import"
	CapStorageTag    = "storage.tag"
	CapStorageRemove = "storage.remove"
	CapStorageUsage  = "storage.usage" // Usage and Prune
)
