// Package storage is rrun's image and layer store: it opens a
// go.podman.io/storage store, imports archives with go.podman.io/image,
// resolves image references like docker does, and mounts container root
// filesystems inside the calling process's mount namespace.
//
// It is used by the built-in storage plugins (plugins/storage/...). It may
// import plugins/api for error kinds, but never host/ or isolation code.
package storage
