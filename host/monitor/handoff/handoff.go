// Package handoff is what the set-up monitor (`rrun __monitor`) passes to
// the small static rrun-monitor (a C program, cmd/rrun-monitor) when it
// execs it, and the variables rrun-monitor sets for `rrun __monitor
// --resume` and `--exec` (see "The small monitor of a detached container"
// in docs/internal.md). The encoding is one C can read in a few lines.
package handoff

import (
	"strconv"
	"strings"
)

// Version changes when State or its encoding changes incompatibly;
// rrun-monitor refuses another (HANDOFF_VERSION in cmd/rrun-monitor).
const Version = 3

// Env carries State (Encode) across the execve.
const Env = "_RRUN_SMALL_MONITOR"

// Env variables `rrun __monitor --resume` and `--exec` read.
const (
	ListenerFDEnv  = "_RRUN_MONITOR_LISTENER_FD" // the socket listener, closed once the exit is recorded
	RestartsEnv    = "_RRUN_RESTARTS"            // "RETRIES DELAY_MS": the --restart policy's state so far
	ExecRequestEnv = "_RRUN_EXEC_REQUEST"        // the exec request rrun-monitor read (its fds follow the connection on fd 3)
	ExecFDsEnv     = "_RRUN_EXEC_FDS"            // how many fds the exec request carried (4, 5, ...)
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

// ints are State's integer fields by name, for Encode.
func (s *State) ints() map[string]*int {
	return map[string]*int{"version": &s.Version, "pid": &s.Pid, "stop_signal": &s.StopSignal, "stop_timeout": &s.StopTimeout,
		"listener": &s.Listener, "log": &s.Log, "stdout": &s.Stdout, "stderr": &s.Stderr, "master": &s.Master,
		"stdin": &s.Stdin, "owner": &s.Owner,
		"net_helper": &s.NetHelper, "net_lock": &s.NetLock}
}

// Encode is State as the value of Env: space-separated key=value, strings
// percent-encoded (Escape), rrun once per argument.
func (s State) Encode() string {
	var b strings.Builder
	for k, v := range s.ints() {
		b.WriteString(k + "=" + strconv.Itoa(*v) + " ")
	}
	b.WriteString("interactive=" + strconv.FormatBool(s.Interactive) + " id=" + Escape(s.ID) + " restarts=" + Escape(s.Restarts) +
		" net_dir=" + Escape(s.NetDir))
	for _, a := range s.Rrun {
		b.WriteString(" rrun=" + Escape(a))
	}
	return b.String()
}

// Escape writes '%', a space and every byte outside printable ASCII as
// %XX (upper-case hex), so that a value has no space and no byte an
// environment variable cannot hold.
func Escape(v string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c <= ' ' || c >= 0x7f || c == '%' {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
