package network

import "os"

// Link is a container's private network connected on the warm path by a
// helper process (pasta or slirp4netns) that is a child of the process
// that connected it. A monitor that hands its container to rrun-monitor
// passes Helper, Dir and Lock on (docs/internal.md, "The small monitor of
// a detached container").
type Link struct {
	// Stop ends the helper and the relays and removes Dir; call it once,
	// after the container exited.
	Stop func()
	// Helper is the pid of pasta or slirp4netns (0: unknown).
	Helper int
	// Dir is the helper's state dir (pasta's pid file, slirp4netns's API
	// socket).
	Dir string
	// Lock is Dir's owner lock: while it is held, no later rrun takes Dir
	// for stale and kills its helper.
	Lock *os.File
	// Relays says that this process relays UDP ports (ForwardUDP): the
	// link then ends with this process.
	Relays bool
}

// Pending is a private network being connected to a network namespace
// made before its container (the isolation backend joins it by path:
// api.CapIsolationNetNSPath), so that the helper starts while the
// container is prepared and created instead of after.
type Pending struct {
	// Path names the namespace in the runtime spec; it stays valid until
	// Connect or Abort.
	Path string
	// Connect waits until the helper has configured the namespace and
	// returns the link, once the container's init (pid) is in it.
	Connect func(pid int) (*Link, error)
	// Abort stops the helper when no container was created.
	Abort func()
}
