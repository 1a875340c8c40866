// Package cstorage is rrun's built-in storage plugin: a thin api.Storage
// over rrun's storage package (go.podman.io/storage), one backend per
// driver (vfs, overlay, fuse-overlayfs). rrun serves it with
// `rrun __plugin storage NAME` and api.ServeStorage(cstorage.New(NAME)).
//
// It must not import host/ or isolation code.
package cstorage
