package monitor

import (
	"path/filepath"
)

// ProtocolVersion is sent with every request; a monitor refuses another.
const ProtocolVersion = 1

// Operations a monitor answers.
const (
	OpPing   = "ping"
	OpKill   = "kill"
	OpStop   = "stop"
	OpWait   = "wait"
	OpExec   = "exec"
	OpResize = "resize"
	// OpStdin writes Data to the stdin of a detached -i container (its
	// pipe, or its terminal with -t): `rrun attach`.
	OpStdin = "stdin"
)

// MaxStdinChunk bounds the Data of one OpStdin request (the request,
// base64 in JSON, must fit one 64 KiB message).
const MaxStdinChunk = 32 << 10

// Request is one JSON message (SOCK_SEQPACKET) from a client. An exec request carries the
// client's stdin, stdout and stderr (or its terminal) as SCM_RIGHTS fds.
type Request struct {
	Version int    `json:"version"`
	Op      string `json:"op"`
	Signal  int    `json:"signal,omitempty"`
	Timeout int    `json:"timeout,omitempty"` // seconds, stop only; -1: the container's
	Exec    *Exec  `json:"exec,omitempty"`
	Width   uint   `json:"width,omitempty"`
	Height  uint   `json:"height,omitempty"`
	Data    []byte `json:"data,omitempty"` // stdin only
}

// Exec describes `rrun exec`.
type Exec struct {
	Args        []string `json:"args"`
	Env         []string `json:"env,omitempty"`
	Workdir     string   `json:"workdir,omitempty"`
	User        string   `json:"user,omitempty"`
	Interactive bool     `json:"interactive,omitempty"`
	TTY         bool     `json:"tty,omitempty"`
	Detach      bool     `json:"detach,omitempty"`
	Width       uint     `json:"width,omitempty"`
	Height      uint     `json:"height,omitempty"`
	// PreserveFds: the request carries that many fds after the stdio, the
	// exec's fds 3, 4, ... (--preserve-fds).
	PreserveFds int `json:"preserve_fds,omitempty"`
}

// Response is one JSON message from the monitor. A request gets one, except
// exec, which gets a first one when the process started and a last one with
// its exit code.
type Response struct {
	OK       bool   `json:"ok"`
	Error    string `json:"error,omitempty"`
	Hint     string `json:"hint,omitempty"`
	Kind     string `json:"kind,omitempty"` // api error reason, e.g. "command-not-found"
	Started  bool   `json:"started,omitempty"`
	Exited   bool   `json:"exited,omitempty"`
	ExitCode int    `json:"exit_code"`
	// DelegatesExec (ping, rrun-monitor) says that this monitor serves an
	// exec by starting `rrun __monitor ID --exec`: a client in the same
	// namespaces may serve it itself (ServeExec) instead.
	DelegatesExec bool `json:"delegates_exec,omitempty"`
}

// SocketPath is where the monitor of container id listens. It uses the
// short id: unix socket paths are limited to 108 bytes.
func SocketPath(runDir, id string) string {
	if len(id) > 12 {
		id = id[:12]
	}
	return filepath.Join(runDir, "c", id+".sock")
}
