// Package handoff is what the set-up monitor (`rrun __monitor`) passes to
// the small static rrun-monitor when it execs it, and what rrun-monitor
// passes back to `rrun __monitor --resume` once the container exited (see
// "The small monitor of a detached container" in docs/internal.md). It
// imports encoding/json only: rrun-monitor must stay small.
package handoff

import (
	"encoding/json"
	"fmt"
	"os"
)

// Version changes when State changes incompatibly; rrun-monitor refuses
// another.
const Version = 1

// Env carries State, as JSON, across the execve.
const Env = "_RRUN_SMALL_MONITOR"

// Env variables `rrun __monitor --resume` and `--exec` read.
const (
	ListenerFDEnv  = "_RRUN_MONITOR_LISTENER_FD" // the socket listener, closed once the exit is recorded
	RestartsEnv    = "_RRUN_RESTARTS"            // "RETRIES DELAY_MS": the --restart policy's state so far
	ExecRequestEnv = "_RRUN_EXEC_REQUEST"        // the exec request rrun-monitor read (its fds follow the connection on fd 3)
	OwnerFDEnv     = "_RRUN_OWNER_FD"            // the container's owner lock
)

// State is one running container as rrun-monitor owns it. Fds are open in
// the process (without FD_CLOEXEC); -1 when absent.
type State struct {
	Version     int      `json:"version"`
	ID          string   `json:"id"`
	Pid         int      `json:"pid"`          // the init, this process's child
	Interactive bool     `json:"interactive"`  // -i: stdin requests are accepted
	StopSignal  int      `json:"stop_signal"`  // resolved from --stop-signal
	StopTimeout int      `json:"stop_timeout"` // seconds, resolved from --stop-timeout
	Rrun        []string `json:"rrun"`         // the rrun binary and its global flags, for --resume and --exec
	Restarts    string   `json:"restarts"`     // passed on in RestartsEnv

	Listener int `json:"listener"` // SOCK_SEQPACKET listener of the monitor socket
	Log      int `json:"log"`      // container.log, O_APPEND
	Stdout   int `json:"stdout"`   // read end of the init's stdout pipe
	Stderr   int `json:"stderr"`   // read end of the init's stderr pipe
	Master   int `json:"master"`   // the pty master, with -t (output and stdin)
	Stdin    int `json:"stdin"`    // write end of the init's stdin pipe, with -i and no -t
	Owner    int `json:"owner"`    // the owner lock
}

// Encode is State as the value of Env.
func (s State) Encode() string {
	data, _ := json.Marshal(s) // plain fields: cannot fail
	return string(data)
}

// FromEnv reads State from Env and removes it from the environment.
func FromEnv() (State, error) {
	var s State
	v := os.Getenv(Env)
	os.Unsetenv(Env)
	if v == "" {
		return s, fmt.Errorf("%s is not set: rrun-monitor is started by rrun only", Env)
	}
	if err := json.Unmarshal([]byte(v), &s); err != nil {
		return s, fmt.Errorf("failed to read %s: %w", Env, err)
	}
	if s.Version != Version {
		return s, fmt.Errorf("handoff version %d, rrun-monitor speaks %d: use rrun-monitor from the same build as rrun", s.Version, Version)
	}
	return s, nil
}
