// Package handoff is what the set-up monitor (`rrun __monitor`) passes to
// the small static rrun-monitor when it execs it, and what rrun-monitor
// passes back to `rrun __monitor --resume` once the container exited (see
// "The small monitor of a detached container" in docs/internal.md). It
// imports strconv, strings, errors and os only (no encoding/json, no fmt):
// every detached container keeps one rrun-monitor resident, and each
// package linked in is paid once per container.
package handoff

import (
	"errors"
	"os"
	"strconv"
	"strings"
)

// Version changes when State changes incompatibly; rrun-monitor refuses
// another.
const Version = 2

// Env carries State (Encode) across the execve.
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
	Version     int
	ID          string
	Pid         int      // the init, this process's child
	Interactive bool     // -i: stdin requests are accepted
	StopSignal  int      // resolved from --stop-signal
	StopTimeout int      // seconds, resolved from --stop-timeout
	Rrun        []string // the rrun binary and its global flags, for --resume and --exec
	Restarts    string   // passed on in RestartsEnv

	Listener int // SOCK_SEQPACKET listener of the monitor socket
	Log      int // container.log, O_APPEND
	Stdout   int // read end of the init's stdout pipe
	Stderr   int // read end of the init's stderr pipe
	Master   int // the pty master, with -t (output and stdin)
	Stdin    int // write end of the init's stdin pipe, with -i and no -t
	Owner    int // the owner lock

	// A private network's helper (pasta, slirp4netns), this process's
	// child: rrun-monitor kills it once the init exited, removes its
	// state dir and closes the dir's lock.
	NetHelper int    // its pid; 0: none
	NetDir    string // its state dir; "": none
	NetLock   int    // the state dir's owner lock (held: no rrun takes the dir for stale)
}

// ints are State's integer fields by name, for Encode and decode.
func (s *State) ints() map[string]*int {
	return map[string]*int{"version": &s.Version, "pid": &s.Pid, "stop_signal": &s.StopSignal, "stop_timeout": &s.StopTimeout,
		"listener": &s.Listener, "log": &s.Log, "stdout": &s.Stdout, "stderr": &s.Stderr, "master": &s.Master,
		"stdin": &s.Stdin, "owner": &s.Owner,
		"net_helper": &s.NetHelper, "net_lock": &s.NetLock}
}

// Encode is State as the value of Env: space-separated key=value, strings
// quoted as Go does, rrun once per argument.
func (s State) Encode() string {
	var b strings.Builder
	for k, v := range s.ints() {
		b.WriteString(k + "=" + strconv.Itoa(*v) + " ")
	}
	b.WriteString("interactive=" + strconv.FormatBool(s.Interactive) + " id=" + strconv.Quote(s.ID) + " restarts=" + strconv.Quote(s.Restarts) +
		" net_dir=" + strconv.Quote(s.NetDir))
	for _, a := range s.Rrun {
		b.WriteString(" rrun=" + strconv.Quote(a))
	}
	return b.String()
}

// Decode reads what Encode wrote.
func Decode(v string) (State, error) {
	var s State
	ints := s.ints()
	for v = strings.TrimSpace(v); v != ""; v = strings.TrimLeft(v, " ") {
		key, rest, ok := strings.Cut(v, "=")
		if !ok {
			return s, errors.New("a field without a value")
		}
		var val string
		if strings.HasPrefix(rest, `"`) {
			q, err := strconv.QuotedPrefix(rest)
			if err != nil {
				return s, errors.New("a badly quoted " + key)
			}
			val, _ = strconv.Unquote(q)
			v = rest[len(q):]
		} else {
			val, v, _ = strings.Cut(rest, " ")
		}
		if err := s.set(ints, key, val); err != nil {
			return s, err
		}
	}
	return s, nil
}

func (s *State) set(ints map[string]*int, key, val string) error {
	var err error
	switch key {
	case "id":
		s.ID = val
	case "restarts":
		s.Restarts = val
	case "net_dir":
		s.NetDir = val
	case "rrun":
		s.Rrun = append(s.Rrun, val)
	case "interactive":
		s.Interactive, err = strconv.ParseBool(val)
	default:
		p, ok := ints[key]
		if !ok {
			return errors.New("unknown field " + key)
		}
		*p, err = strconv.Atoi(val)
	}
	if err != nil {
		return errors.New("bad value of " + key + ": " + val)
	}
	return nil
}

// FromEnv reads State from Env and removes it from the environment.
func FromEnv() (State, error) {
	v := os.Getenv(Env)
	os.Unsetenv(Env)
	if v == "" {
		return State{}, errors.New(Env + " is not set: rrun-monitor is started by rrun only")
	}
	s, err := Decode(v)
	if err != nil {
		return s, errors.New("failed to read " + Env + ": " + err.Error())
	}
	if s.Version != Version {
		return s, errors.New("handoff version " + strconv.Itoa(s.Version) + ", rrun-monitor speaks " +
			strconv.Itoa(Version) + ": use rrun-monitor from the same build as rrun")
	}
	if len(s.Rrun) == 0 || s.ID == "" {
		return s, errors.New(Env + " names no container or no rrun binary")
	}
	return s, nil
}
