//go:build !cgo

package doctor

// libseccompVersion is nil without cgo: libseccomp cannot be linked.
var libseccompVersion func() (string, error)
