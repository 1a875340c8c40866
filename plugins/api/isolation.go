package api

import "context"

// Isolation runs containers.
//
// Implementations must be safe for concurrent use by one host. A container
// moves created -> running -> stopped; Delete removes it in any state.
type Isolation interface {
	Plugin

	// Create prepares a container: namespaces, root filesystem from the
	// rootfs mounts, the spec's mounts and devices, stdio opened from the
	// given paths. The process does not run the spec's command until Start.
	// ErrAlreadyExists when the id is taken; ErrInvalidArgument for a spec
	// the backend cannot honour. Returns the pid of the container's init as
	// seen from the plugin.
	//
	// A backend that finds the command already at Create (OCI runtimes do)
	// may return ErrCommandNotFound or ErrCommandNotExecutable, naming the
	// command, and leave no container behind; the host maps them to exit
	// 127 and 126 as it does for Start.
	Create(ctx context.Context, req CreateRequest) (int, error)

	// Start runs the spec's command in a created container and returns once
	// the container's init is that command (an Exec right after sees it as
	// pid 1, not the backend's own set-up process). When the command
	// does not exist or cannot be executed (and Create did not say so) it
	// returns ErrCommandNotFound or ErrCommandNotExecutable and the
	// container is stopped with 127 or 126.
	Start(ctx context.Context, id string) error

	// Wait blocks until the container's init (execID "") or one of its exec
	// processes has stopped and returns how it ended. Several callers may
	// wait at once; a stopped process returns at once. ErrNotFound when the
	// container or exec does not exist.
	Wait(ctx context.Context, id, execID string) (ExitStatus, error)

	// Kill sends signal to the container's init (execID "") or to an exec
	// process. Killing a stopped process is not an error.
	Kill(ctx context.Context, id, execID string, signal int) error

	// Delete kills the container if needed and removes everything the
	// backend made for it. It is idempotent.
	Delete(ctx context.Context, id string) error

	// State reports the container's state. ErrNotFound when unknown.
	State(ctx context.Context, id string) (ContainerState, error)

	// Exec starts an extra process in a running container, in all of its
	// namespaces, and returns its pid. ErrFailedPrecondition when the
	// container is not running; ErrCommandNotFound / ErrCommandNotExecutable
	// as for Start; ErrAlreadyExists for a reused exec id. Backends without
	// CapIsolationExec return ErrNotImplemented.
	Exec(ctx context.Context, req ExecRequest) (int, error)

	// ResizePty sets the terminal size of the init (execID "") or an exec.
	// ErrFailedPrecondition when it has no terminal.
	ResizePty(ctx context.Context, id, execID string, width, height uint) error
}
