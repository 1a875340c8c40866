package api

import "time"

// Plugin kinds.
const (
	KindStorage   = "storage"
	KindIsolation = "isolation"
)

// APIVersion is the contract version this SDK speaks.
const APIVersion = "v1"

// Capabilities a plugin may announce in Info. They are namespaced by kind.
const (
	CapStorageLoad    = "storage.load"
	CapStorageRootfs  = "storage.rootfs"
	CapIsolationPIDNS = "isolation.pidns"
	CapIsolationUTSNS = "isolation.utsns"
	CapIsolationIPCNS = "isolation.ipcns"
	CapIsolationNetNS = "isolation.netns"
	// CapIsolationNetNSPath: the backend joins a network namespace that
	// spec.Linux.Namespaces names by Path (a file of the nsfs, such as
	// /proc/PID/fd/N of a process of the same user) instead of making
	// one, as OCI runtimes do. The host then connects a container's
	// private network while the container is being created, not after.
	CapIsolationNetNSPath = "isolation.netns-path"
	CapIsolationDevices   = "isolation.devices"
	CapIsolationTTY       = "isolation.tty"
	CapIsolationExec      = "isolation.exec"
	// CapIsolationSeccomp: the backend enforces spec.Linux.Seccomp (the
	// process and every exec get the filter); one without it must refuse a
	// spec that has a seccomp section.
	CapIsolationSeccomp = "isolation.seccomp"
	// CapIsolationPreserveFds: the backend honours Stdio.ExtraFiles. The
	// host refuses --preserve-fds with a backend that does not announce it.
	CapIsolationPreserveFds = "isolation.preserve-fds"
	// CapIsolationResources: the backend applies spec.Linux.Resources
	// itself, in a cgroup it creates at spec.Linux.CgroupsPath (relative to
	// the cgroup2 mount; an OCI runtime's cgroupfs manager does both). The
	// host then fills both fields and writes no cgroup file. Without it the
	// host creates that cgroup and writes the limits, and the backend only
	// moves the container's init into it before Start.
	CapIsolationResources = "isolation.resources"
)

// PluginInfo describes a plugin. It is what `rrun plugins ls` shows.
type PluginInfo struct {
	Kind         string
	Name         string
	Version      string
	APIVersions  []string
	Capabilities []string
}

// IDMap is one line of a uid_map or gid_map.
type IDMap struct {
	ContainerID uint32
	HostID      uint32
	Size        uint32
}

// Config is what the host hands a plugin once, before any other call.
type Config struct {
	APIVersion string
	Options    map[string]string
	StateDir   string
	RunDir     string
	UIDMap     []IDMap
	GIDMap     []IDMap
}

// Mount is a mount descriptor: Target is relative to the container root.
type Mount struct {
	Type    string
	Source  string
	Target  string
	Options []string
}

// Image is one image of a store.
type Image struct {
	ID      string
	Names   []string
	Digest  string
	Size    int64
	Created time.Time
}

// ImageDetail is an image with its OCI config (image-spec v1 Image, JSON).
type ImageDetail struct {
	Image
	ConfigJSON []byte
	TopLayer   string // "" for an image of no layer, or from a plugin that predates it
}

// Stdio names the files a container's stdio is connected to. The backend
// opens them itself; an empty path means /dev/null.
type Stdio struct {
	Stdin  string
	Stdout string
	Stderr string
	// Terminal asks for a pty made inside the container; its master is sent
	// with SCM_RIGHTS over the unix socket at ConsoleSocket, and Stdin,
	// Stdout and Stderr are unused.
	Terminal      bool
	ConsoleSocket string
	// ExtraFiles become the process's fds 3, 4, ... in order (docker's
	// --preserve-fds), with a terminal too. Every other fd above 2 is
	// closed before the command runs.
	ExtraFiles []ExtraFile
}

// ExtraFile is one preserved fd: a path (usually /proc/PID/fd/N) the
// backend opens with Flags, the open(2) flags of the host's fd.
type ExtraFile struct {
	Path  string
	Flags int
}

// ExecRequest describes an extra process to start in a running container.
type ExecRequest struct {
	ID          string // the container
	ExecID      string // chosen by the host, unique within the container
	ProcessJSON []byte // an OCI runtime-spec Process
	Stdio       Stdio
}

// CreateRequest describes a container to create.
type CreateRequest struct {
	ID       string
	SpecJSON []byte // an OCI runtime-spec Spec
	Rootfs   []Mount
	Stdio    Stdio
}

// ExitStatus is how a container ended. Code follows docker's rules: the
// process's exit code, or 128+N when it was killed by signal N.
type ExitStatus struct {
	Code   int
	Signal int
}

// Container states reported by Isolation.State.
const (
	StatusCreated = "created"
	StatusRunning = "running"
	StatusStopped = "stopped"
)

// ContainerState is a snapshot of one container.
type ContainerState struct {
	ID       string
	Status   string
	Pid      int
	ExitCode int
	Started  time.Time // zero until started
	Finished time.Time // zero until stopped
}
