package main

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/host/session"
	"github.com/rrun-project/rrun/plugins/storage/cstorage"
)

// idmapCopyVerb is the hidden verb of the detached process that makes the
// mapped layer copies a keep-id run asked for (see docs/internal.md).
const idmapCopyVerb = "idmap-copy"

func newIDMapCopyCommand() *cobra.Command {
	return &cobra.Command{
		Use:    idmapCopyVerb,
		Short:  "Make the mapped layer copies later --userns=keep-id runs use (started by rrun itself)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			cfg, err := loadConfig()
			if err != nil {
				return err
			}
			graphRoot := filepath.Join(cfg.Dirs.Data, "storage", cfg.Storage)
			return inSession(needs{}, func(context.Context, *container.Backends) error {
				return cstorage.MakePendingCopies(graphRoot)
			})
		},
	}
}

// mentionsKeepID reports whether the command line asks for keep-id (read
// before the verb runs: the run path rewrites os.Args for its monitor).
func mentionsKeepID(args []string) bool {
	return slices.ContainsFunc(args, func(a string) bool { return strings.Contains(a, "keep-id") })
}

// startIDMapCopier starts a detached, low-priority `rrun idmap-copy` when a
// keep-id command left copy requests that no copier is working on (none
// yet, or one that was killed: its flock went with it). Only the CLI can:
// outside the session, or in the session holder's namespaces (joined, or
// a pre-started process serving the command), which outlive the command
// (a process inside a session of its own dies with it). It never changes
// the command's exit code.
func startIDMapCopier(keepID bool) {
	if !keepID || (session.Inside() && !session.Joined()) {
		return
	}
	cfg, err := loadConfig()
	if err != nil || !slices.Contains(builtinStorage, cfg.Storage) {
		return
	}
	if len(cstorage.PendingCopies(filepath.Join(cfg.Dirs.Data, "storage", cfg.Storage))) == 0 {
		return
	}
	done := make(chan struct{})
	go spawnNiced(done)
	<-done
}

// spawnNiced starts the copier from a thread of its own whose nice value
// (19) and I/O class (idle) the child inherits; the thread is never
// handed back to Go (its priority cannot be raised again), so it exits
// with the goroutine.
func spawnNiced(done chan<- struct{}) {
	defer close(done)
	runtime.LockOSThread()
	_ = unix.Setpriority(unix.PRIO_PROCESS, 0, 19) // best effort: a copier at normal priority still works
	const ioprioIdle = 3 << 13                     // IOPRIO_CLASS_IDLE << IOPRIO_CLASS_SHIFT
	_, _, _ = unix.RawSyscall(unix.SYS_IOPRIO_SET, 1 /* IOPRIO_WHO_PROCESS */, 0, ioprioIdle)
	exe, err := os.Executable()
	if err != nil {
		return
	}
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return
	}
	defer null.Close()
	p, err := os.StartProcess(exe, []string{exe, idmapCopyVerb}, &os.ProcAttr{
		Files: []*os.File{null, null, null},
		Sys:   &syscall.SysProcAttr{Setsid: true},
	})
	if err == nil {
		_ = p.Release() // detached: it outlives this command
	}
}
