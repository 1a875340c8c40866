package main

import (
	"fmt"
	"os"
	"syscall"

	"github.com/rrun-project/rrun/host/config"
	"github.com/rrun-project/rrun/host/session"
	"github.com/rrun-project/rrun/host/session/join"
	"github.com/rrun-project/rrun/host/trace"
)

// holderReexecEnv marks the one re-exec after a command started a holder,
// so that a holder that cannot be joined sends it down the cold path
// instead of into a loop.
const holderReexecEnv = "_RRUN_HOLDER_REEXEC"

// holderWarning is the mapping's warning of the joined holder, said by
// sayHolderWarning.
var holderWarning string

// sayHolderWarning prints the joined holder's mapping warning, once, where
// the cold path says it: when the run enters its session, after the
// checks that refuse a run in one line (a taken port, a bad network).
func sayHolderWarning() {
	if holderWarning != "" {
		fmt.Fprintln(os.Stderr, "rrun: warning: "+holderWarning)
		holderWarning = ""
	}
}

// joinSession finishes what the C constructor began (see "Session holder"
// in docs/internal.md): a joined process becomes a session; a warm-path
// command without a usable holder starts one and execs itself once, to be
// joined. Any failure leaves the command on the cold path.
func joinSession() {
	switch {
	case join.Joined():
		start, done := join.Times()
		trace.MarkAt(fmt.Sprintf("holder %d joined (setns took %.2f ms)", join.HolderPID(), float64(done.Sub(start).Microseconds())/1000), done)
		os.Unsetenv(holderReexecEnv)
		os.Setenv(config.RunDirEnv, join.RunDir())
		session.TouchHolder(join.RunDir())
		uid, gid := join.HostIDs()
		if err := session.Adopt(uid, gid, join.Mapping()); err != nil {
			warnf("failed to become the session: %v", err)
		}
		if h, ok := session.ReadHolder(join.RunDir()); ok {
			holderWarning = h.Warning
		}
	case join.Wanted() && os.Getenv(holderReexecEnv) == "":
		if err := startHolderAndExec(); err != nil && os.Getenv("RRUN_TRACE") == "1" {
			trace.Mark("holder not started: " + err.Error())
		}
	}
}

// startHolderAndExec starts (or replaces) the holder and execs this same
// command, which the constructor then joins. It returns only on failure.
func startHolderAndExec() error {
	trace.Mark("holder: " + join.Reason())
	dirs, err := config.ResolveDirs()
	if err != nil {
		return err
	}
	// Refuse an untrusted run dir (not a directory of ours, e.g. a symlink
	// planted in a shared /tmp) before the holder writes anything there.
	if err := dirs.Ensure(); err != nil {
		return err
	}
	idle, err := config.SessionIdleTimeout(dirs)
	if err != nil || idle == 0 {
		return err // 0: no holder, the cold path as before
	}
	if err := session.StartHolder(join.RunDir(), session.PlanMapping(), idle); err != nil {
		return err
	}
	trace.Mark("holder started")
	os.Setenv(holderReexecEnv, "1")
	return syscall.Exec("/proc/self/exe", os.Args, os.Environ())
}
