// Package nsinit is the container side of the native isolation backend:
// the program (cmd/rrun-nsinit) that the plugin starts in new namespaces
// to set a container up (root filesystem, /proc, /dev, masks, pivot_root,
// hostname, ids, capabilities, the seccomp filter the plugin compiled) and
// exec its command, and that Exec starts to join a running container.
// It also holds the protocol both sides speak on the control socket.
//
// It is small on purpose: a container's start pays for the exec and the
// runtime start of this program, not of the 40 MB rrun binary. It imports
// only the standard library, golang.org/x/sys/unix, the runtime-spec types
// and filepath-securejoin; never plugins/api (gRPC), host/ or storage/.
// Exec needs its C constructor (nsenter_linux.c), so build it with cgo.
package nsinit
