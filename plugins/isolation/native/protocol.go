package native

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rrun-project/rrun/plugins/api"
)

// The plugin and the container init are the same binary, but a plugin may
// be upgraded while a container created by the old one is waiting, so the
// messages carry a version all the same.
const protocolVersion = 1

// initSocketFd is the fd of the control socket in the init process: the
// first of exec.Cmd.ExtraFiles.
const initSocketFd = 3

// initConfig is the first message, from the plugin to the init.
type initConfig struct {
	Version   int
	Spec      *specs.Spec
	Rootfs    []api.Mount
	RootfsDir string
}

// Message types on the control socket, in the order they are exchanged.
const (
	msgLog       = "log"        // init -> plugin, any time: a debug line
	msgError     = "error"      // init -> plugin: setup failed, init exits
	msgReady     = "ready"      // init -> plugin: set up, waiting for start
	msgStart     = "start"      // plugin -> init: exec the command
	msgExecError = "exec-error" // init -> plugin: exec failed; EOF means it worked
)

// Kinds of exec errors.
const (
	execNotFound      = "not-found"
	execNotExecutable = "not-executable"
)

// message is every message after initConfig.
type message struct {
	Type    string `json:"type"`
	Kind    string `json:"kind,omitempty"`
	Message string `json:"message,omitempty"`
}
