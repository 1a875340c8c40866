package native

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rrun-project/rrun/plugins/api"
)

// The plugin and the container init are the same binary, but a plugin may
// be upgraded while a container created by the old one is waiting, so the
// messages carry a version all the same.
const protocolVersion = 3

// File descriptors of the init (`__init`) and of an exec process
// (`__init exec`), the exec.Cmd.ExtraFiles: first the preserved fds
// (Stdio.ExtraFiles) from 3, then, from the base fd (3 + their number),
// the control socket, the console channel and the pidfd. The child learns
// the base from envFdBase; without it the base is 3.
const (
	initSocketFd  = 0 // base+0: the control socket
	initConsoleFd = 1 // base+1: the console channel, when there is a terminal
	initPidfdFd   = 2 // base+2, exec only: a pidfd of the container's init, for nsenter
	envFdBase     = "_RRUN_FD_BASE"
)

// initConfig is the first message, from the plugin to the init.
type initConfig struct {
	Version     int
	Spec        *specs.Spec
	Rootfs      []api.Mount
	RootfsDir   string
	Terminal    bool
	SingleIDMap bool            // the session maps one id only: setgroups may fail
	Seccomp     *seccompProgram // nil: unconfined
}

// execConfig is the first message, from the plugin to an exec process.
type execConfig struct {
	Version     int
	Process     *specs.Process
	Terminal    bool
	SingleIDMap bool
	Seccomp     *seccompProgram // the container's filter; nil: unconfined
}

// Message types on the control socket, in the order they are exchanged.
const (
	msgLog       = "log"        // init -> plugin, any time: a debug line
	msgError     = "error"      // init -> plugin: setup failed, init exits
	msgReady     = "ready"      // init -> plugin: set up, waiting for start
	msgStart     = "start"      // plugin -> init: exec the command
	msgPid       = "pid"        // nsenter (C) -> plugin: the exec process's pid
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
	Pid     int    `json:"pid,omitempty"`
}
