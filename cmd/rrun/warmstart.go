package main

import (
	"os"
	"syscall"

	"github.com/rrun-project/rrun/host/network"
	"github.com/rrun-project/rrun/host/session"
	"github.com/rrun-project/rrun/host/session/join"
	"github.com/rrun-project/rrun/host/state"
	"github.com/rrun-project/rrun/host/trace"
)

// warmStartEnv asks the C constructor to treat a start or restart as a
// warm-path command (join the session holder, or start one): it cannot
// read the containers' networks itself, so the command execs itself with
// it once it has.
const warmStartEnv = "_RRUN_WARM_START"

// warmStart re-executes a start or restart on the warm path when every
// container it names has a network the holder serves (none, host, and the
// private ones unless RRUN_WARM_NETWORK=0; never container:NAME), so that
// the started container gets rrun-monitor and the warm plugins as `run -d`
// does rather than a session and a monitor of its own (~100 MB). It returns
// when the command stays where it is: joined already, the holder is off,
// a container is not warm-capable, or the exec failed.
func warmStart(store *state.Store, refs []string) {
	if _, set := os.LookupEnv(warmStartEnv); set || join.Joined() || os.Getenv("RRUN_HOLDER") == "0" || session.Inside() {
		os.Unsetenv(warmStartEnv)
		return
	}
	for _, ref := range refs {
		r, err := store.Get(ref)
		if err != nil {
			return // its error is reported where it is started
		}
		mode, _, err := network.Parse(r.Options.Network)
		if err != nil || !(mode == "" || mode == network.ModeNone || mode == network.ModeHost || network.Private(mode)) {
			return
		}
		if (mode == "" || network.Private(mode)) && !session.WarmPrivate() {
			return
		}
	}
	trace.Mark("start: exec to join the session holder")
	os.Setenv(warmStartEnv, "1") // replaces any value: the exec happens once
	_ = syscall.Exec("/proc/self/exe", os.Args, os.Environ())
	os.Unsetenv(warmStartEnv)
}
