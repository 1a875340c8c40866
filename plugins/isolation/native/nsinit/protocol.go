package nsinit

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ProtocolVersion is the version of the messages on the control socket.
// The plugin and rrun-nsinit come from one build, but a plugin may be
// upgraded while a container made by the old one is waiting, so the
// messages carry it all the same.
const ProtocolVersion = 7

// Arguments of the process the plugin starts: Main reads only the third,
// so that any binary whose main dispatches InitArg to Main (a test binary)
// can play rrun-nsinit.
const (
	InitArg = "__init" // argv[1] of the init and of an exec process
	ExecArg = "exec"   // argv[2] of an exec process
	// SpareArg is argv[2] of a spare init: one the plugin starts before
	// any Create needs it, and hands a container later (Spare).
	SpareArg = "spare"
)

// A spare init waits for its container in the namespaces it was cloned
// in, minus the mount and cgroup namespaces (Config.Unshare), with
// /dev/null as stdio and as the console channel. Its first message is
// not JSON: one byte, SpareTerminal or SpareNoTerminal, with the
// container's stdin, stdout and stderr and, with a terminal, the console
// channel as SCM_RIGHTS. Config follows as for any init.
const (
	SpareNoTerminal = 'n'
	SpareTerminal   = 't'
)

// File descriptors of the init and of an exec process, the
// exec.Cmd.ExtraFiles: first the preserved fds (Stdio.ExtraFiles) from 3,
// then, from the base fd (3 + their number), the control socket, the
// console channel and the pidfd. The child learns the base from
// FdBaseEnv; without it the base is 3.
const (
	SocketFd  = 0 // base+0: the control socket
	ConsoleFd = 1 // base+1: the console channel, when there is a terminal
	PidfdFd   = 2 // base+2, exec only: a pidfd of the container's init, for nsenter
	FdBaseEnv = "_RRUN_FD_BASE"
)

// NsenterEnv names the variable that asks the C constructor of an exec
// process to join the namespaces of a container: "<pidfd>:<clone flags>".
const NsenterEnv = "_RRUN_NSENTER"

// Config is the first message, from the plugin to the init.
type Config struct {
	Version     int
	Spec        *specs.Spec
	Rootfs      []Mount
	RootfsDir   string
	Terminal    bool
	SingleIDMap bool     // the session maps one id only: setgroups may fail
	Seccomp     *Seccomp // nil: unconfined
	// Unshare holds the namespaces (clone flags) a spare init makes when
	// it gets its container: the mount namespace then copies the plugin's
	// mounts as they are now, not as they were when the spare started,
	// and the cgroup namespace's root is the container's cgroup.
	Unshare uintptr `json:",omitempty"`
	// NetNS is a network namespace to join (the spec's, named by path),
	// before anything else.
	NetNS string `json:",omitempty"`
	// Trace asks for one MsgLog line with the time of each set-up step
	// (the plugin's RRUN_TRACE).
	Trace bool `json:",omitempty"`
}

// ExecConfig is the first message, from the plugin to an exec process.
type ExecConfig struct {
	Version     int
	Process     *specs.Process
	Terminal    bool
	SingleIDMap bool
	Seccomp     *Seccomp // the container's filter; nil: unconfined
}

// Mount is a root filesystem mount descriptor (api.Mount's fields; the
// init does not import the SDK, which brings gRPC).
type Mount struct {
	Type    string
	Source  string
	Target  string
	Options []string
}

// Seccomp is a compiled filter as the init receives it: the plugin
// compiles the spec's profile (with libseccomp), the init only loads it.
type Seccomp struct {
	BPF   []byte   // struct sock_filter[]
	Flags []string // the spec's SECCOMP_FILTER_FLAG_* names
}

// Message types on the control socket, in the order they are exchanged.
const (
	MsgLog       = "log"        // init -> plugin, any time: a debug line
	MsgError     = "error"      // init -> plugin: setup failed, init exits
	MsgReady     = "ready"      // init -> plugin: set up, waiting for start
	MsgStart     = "start"      // plugin -> init: exec the command
	MsgPid       = "pid"        // nsenter (C) -> plugin: the exec process's pid
	MsgExecError = "exec-error" // init -> plugin: exec failed; EOF means it worked
)

// Kinds of exec errors.
const (
	ExecNotFound      = "not-found"
	ExecNotExecutable = "not-executable"
)

// Message is every message after Config.
type Message struct {
	Type    string `json:"type"`
	Kind    string `json:"kind,omitempty"`
	Message string `json:"message,omitempty"`
	Pid     int    `json:"pid,omitempty"`
}
