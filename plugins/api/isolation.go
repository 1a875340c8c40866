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
	Create(ctx context.Context, req CreateRequest) (int, error)

	// Start runs the spec's command in a created container. When the command
	// does not exist or cannot be executed it returns ErrCommandNotFound or
	// ErrCommandNotExecutable and the container is stopped with 127 or 126.
	Start(ctx context.Context, id string) error

	// Wait blocks until the container has stopped and returns how it ended.
	// Several callers may wait at once; a stopped container returns at once.
	// ErrNotFound when the container does not exist.
	Wait(ctx context.Context, id string) (ExitStatus, error)

	// Kill sends signal to the container's init. Killing a stopped
	// container is not an error.
	Kill(ctx context.Context, id string, signal int) error

	// Delete kills the container if needed and removes everything the
	// backend made for it. It is idempotent.
	Delete(ctx context.Context, id string) error

	// State reports the container's state. ErrNotFound when unknown.
	State(ctx context.Context, id string) (ContainerState, error)
}
