package session

import (
	"os"
	"strconv"
)

// Environment keys shared by the roles of the rrun binary.
const (
	envInside    = "_RRUN_IN_SESSION"
	envJoined    = "_RRUN_SESSION_JOINED"  // the session is the holder's (see Adopt)
	envMapping   = "_RRUN_SESSION_MAPPING" // "subuid" or "single"
	envHostUID   = "_RRUN_HOST_UID"
	envHostGID   = "_RRUN_HOST_GID"
	envPipeFD    = "_RRUN_ROOTLESSKIT_PIPEFD"
	envActChild  = "_RRUN_ROOTLESSKIT_ACTIVATION_CHILD"
	envActHelper = "_RRUN_ROOTLESSKIT_ACTIVATION_HELPER"
	envStateDir  = "_RRUN_ROOTLESSKIT_STATE_DIR"
	envNetMode   = "_RRUN_SESSION_NETWORK"       // the rootlesskit child's network mode
	envNetPorts  = "_RRUN_SESSION_PORT_DRIVER"   // "1": the child runs the builtin port driver
	envNetWaitFD = "_RRUN_SESSION_NETWORK_READY" // single-uid path: fd closed once the network is up
)

// Mapping kinds.
const (
	MappingSubuid = "subuid"
	MappingSingle = "single"
)

// Inside reports whether this process is an rrun session (or one of its
// children that inherited the environment).
func Inside() bool { return os.Getenv(envInside) == "1" }

// MappingKind is the session's id mapping kind, valid inside a session.
func MappingKind() string { return os.Getenv(envMapping) }

// HostIDs are the invoking user's uid and gid outside the user namespace.
func HostIDs() (uid, gid int) {
	uid, _ = strconv.Atoi(os.Getenv(envHostUID))
	gid, _ = strconv.Atoi(os.Getenv(envHostGID))
	return uid, gid
}

// Joined reports whether this process (or the command it descends from)
// joined the session holder: its plugins may then stay warm.
func Joined() bool { return os.Getenv(envJoined) == "1" }

// WarmPrivate reports whether the warm path serves private networks
// (pasta, slirp4netns): yes unless RRUN_WARM_NETWORK=0, which keeps a
// session per container for them. The C constructor (host/session/join)
// reads the same switch.
func WarmPrivate() bool { return os.Getenv("RRUN_WARM_NETWORK") != "0" }
