// Package native is rrun's built-in isolation backend: it runs a container
// as a child process in new mount, pid, uts, ipc (and optionally network)
// namespaces of the session's user namespace, with pivot_root into the root
// filesystem, using nothing but syscalls.
//
// The plugin side (Backend) spawns `rrun-nsinit __init`, a small program
// of its own (package nsinit, cmd/rrun-nsinit), so that a container's start
// does not pay for starting the rrun binary; the container side
// (nsinit.Main) prepares the namespaces and execs the user's command so
// that it becomes pid 1. They talk over an inherited socket
// (nsinit/protocol.go). Exec spawns `rrun-nsinit __init exec` with
// _RRUN_NSENTER set: a C constructor (nsinit/nsenter_linux.c, so cgo is
// required) joins the container's namespaces before the Go runtime starts
// and clones the process that nsinit.Main then turns into the exec'd
// command. The backend finds rrun-nsinit in $RRUN_NSINIT, next to its own
// executable, or in /usr/local/libexec/rrun and /usr/libexec/rrun.
//
// What the host can rely on, beyond the api.Isolation contract:
//
//   - Terminal: the pty is made in the container's own devpts. Its master
//     is sent to Stdio.ConsoleSocket before Create (for the init) or Exec
//     (for an exec) returns, as runc's --console-socket does: the plugin
//     connects once and sends one message whose data is the slave's path
//     (/dev/pts/N inside the container) and whose SCM_RIGHTS holds the
//     master. The host must listen before the call. The plugin keeps a
//     dup of the master for ResizePty, until Delete.
//   - Exec returns the pid of the exec'd process as the plugin (the
//     session) sees it. The process is a child of the plugin process.
//   - Nothing of a started container depends on the plugin process: no
//     parent-death signal, no inherited fd of the plugin's. If the plugin
//     dies, the container and its execs are reparented to the nearest
//     subreaper (rrun's monitor), which reaps them.
//   - <RunDir>/<id>/state.json (versioned, written atomically) holds the
//     pids with their start times, terminals and known exit statuses, so
//     that a new plugin process on the same RunDir adopts the container on
//     first use of its id: State, Kill, Exec, ResizePty (through the
//     slave) and Delete work. Wait on an adopted process blocks until it is
//     gone (pidfd) and then returns its status if a plugin process wrote it
//     down, else an api.ErrUnavailable error "exit status of container X
//     is known only to its reaper"; State then reports ExitCode -1. An
//     adopted container that was only created cannot be started.
//
// It imports only plugins/api, never host/ or storage/.
package native
