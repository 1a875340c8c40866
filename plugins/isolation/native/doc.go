// Package native is rrun's built-in isolation backend: it runs a container
// as a child process in new mount, pid, uts, ipc (and optionally network)
// namespaces of the session's user namespace, with pivot_root into the root
// filesystem, using nothing but syscalls.
//
// The plugin side (Backend) spawns `/proc/self/exe __init`; the container
// side (InitMain) prepares the namespaces and execs the user's command so
// that it becomes pid 1. They talk over an inherited socket (protocol.go).
//
// It imports only plugins/api, never host/ or storage/.
package native
