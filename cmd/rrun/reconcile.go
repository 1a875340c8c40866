package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/config"
	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/host/monitor"
	"github.com/rrun-project/rrun/host/network"
	"github.com/rrun-project/rrun/host/pluginmgr"
	"github.com/rrun-project/rrun/host/session"
	"github.com/rrun-project/rrun/host/state"
)

// reconcile cleans up after rrun processes killed at any moment (see
// "Crash recovery" in docs/internal.md). Its cheap part runs on every
// command that opens the records: one lock test per starting or running
// container, a look at the sockets and session dirs. Only when that finds a
// container whose owner was killed does it enter a session, where the
// plugins delete the container's isolation state and root filesystem.
// Failures are warnings: the command the user asked for goes on. With
// settle it first waits for the --rm containers being removed (see
// state.Store.Reconcile).
func reconcile(cfg config.Config, store *state.Store, settle bool) {
	stale, err := store.Reconcile(settle)
	if err != nil {
		warnf("failed to check for containers of killed rrun processes: %v", err)
	}
	removeStaleSockets(cfg.Dirs.Run, store)
	pluginmgr.RemoveStaleSockets(cfg.Dirs.Run)
	pluginmgr.RemoveStaleBrokerSockets(cfg.Dirs.Run)
	if session.RemoveStale(cfg.Dirs.Run) > 0 && len(stale) == 0 {
		// A killed session with no container: a load, pull or rm. Its
		// storage plugin recovers its store when it opens it.
		cleanupStale(cfg, store, nil)
	}
	for _, group := range byBackends(stale) {
		cleanupStale(withConfigOf(cfg, group[0]), store, group)
	}
	reclaimStaleBuilds(cfg)
}

// byBackends groups records by the plugins they were made with.
func byBackends(recs []state.Record) [][]state.Record {
	idx := map[string]int{}
	var groups [][]state.Record
	for _, r := range recs {
		key := r.Storage + "\x00" + r.Isolation
		i, ok := idx[key]
		if !ok {
			i = len(groups)
			idx[key] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], r)
	}
	return groups
}

// cleanupStale has the plugins of one group remove what its killed
// containers left, in one session. When the plugins cannot be found or
// started, the records are finished anyway with a warning: a broken plugin
// must not make every later command try again.
func cleanupStale(cfg config.Config, store *state.Store, recs []state.Record) {
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.ID
	}
	_, _, err := choosePlugins(newManager(cfg), cfg, needs{storage: true, isolation: true})
	args := append(globalArgsFor(cfg), reconcileArg, strings.Join(ids, ","))
	switch {
	case err == nil && session.Inside(): // a joined command is a session already
		err = cleanupInSession(cfg, store, ids)
	case err == nil && holderFor(cfg, recs):
		err = runJoined(args)
	case err == nil:
		err = enterSession(cfg, args)
	}
	if err == nil {
		return
	}
	warnf("failed to clean up after killed containers %s: %v", shortIDs(ids), err)
	for _, id := range ids {
		_ = store.Finish(id) // warned above
	}
}

// globalArgsFor is globalArgs with the backends of cfg.
func globalArgsFor(cfg config.Config) []string {
	return []string{"--log-level", globals.logLevel, "--storage", cfg.Storage, "--isolation", cfg.Isolation}
}

// reconcileArg is the hidden verb that runs cleanupStale's part inside a
// session.
const reconcileArg = "__reconcile"

func newReconcileCommand() *cobra.Command {
	return &cobra.Command{
		Use: reconcileArg + " ID,...", Hidden: true, Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			cfg, store, err := openStore()
			if err != nil {
				return err
			}
			return cleanupInSession(cfg, store, strings.Split(args[0], ","))
		},
	}
}

// cleanupInSession is cleanupStale's part inside a session.
func cleanupInSession(cfg config.Config, store *state.Store, ids []string) error {
	return inSessionWith(cfg, needs{storage: true, isolation: true}, func(ctx context.Context, _ *pluginmgr.Manager, b *container.Backends) error {
		// Opening the store lets the plugin remove what its killed
		// predecessors left (temporary files, half-written layers).
		if _, err := b.Storage.ListImages(ctx); err != nil {
			return err
		}
		for _, id := range ids {
			cleanupOne(ctx, cfg, store, b, id)
		}
		return nil
	})
}

// cleanupOne deletes a killed container's isolation state and unmounts
// (or, when it is discarded, removes) its root filesystem, then finishes
// its record. The rootfs goes before the record, so that no storage
// container is ever left without one.
func cleanupOne(ctx context.Context, cfg config.Config, store *state.Store, b *container.Backends, id string) {
	r, err := store.Get(id)
	if err != nil || !r.Cleanup {
		return // done by another rrun meanwhile
	}
	if err := b.Isolation.Delete(ctx, id); err != nil {
		warnf("failed to delete the isolation state of %s: %v", r.ShortID(), err)
	}
	if err := container.ReleaseRootfs(b, id, r.Discard()); err != nil {
		warnf("failed to release the root filesystem of %s: %v", r.ShortID(), err)
		return
	}
	if r.Discard() && r.Options.Remove {
		removeAnonVolumes(cfg, r.AnonVolumes)
	}
	if err := store.Finish(id); err != nil {
		warnf("failed to finish the record of %s: %v", r.ShortID(), err)
	}
}

// removeStaleSockets removes the monitor and ready sockets in the run dir
// that no live container owns (a killed monitor cannot unlink its own).
func removeStaleSockets(runDir string, store *state.Store) {
	dir := filepath.Dir(monitor.SocketPath(runDir, strings.Repeat("0", 64)))
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) == 0 {
		return
	}
	live, err := store.LiveShortIDs()
	if err != nil {
		return
	}
	for _, e := range entries {
		short, _, _ := strings.Cut(e.Name(), ".")
		if len(short) == 12 && !live[short] {
			_ = os.Remove(filepath.Join(dir, e.Name())) // gone already: fine
		}
	}
}

func shortIDs(ids []string) string {
	var s []string
	for _, id := range ids {
		s = append(s, id[:min(12, len(id))])
	}
	return strings.Join(s, ", ")
}

func warnf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "rrun: warning: "+format+"\n", args...)
}

// holderFor reports whether a cleanup runs in the session holder: when
// one runs, or when a container of the warm path (any network but
// container:NAME; private ones with RRUN_WARM_NETWORK=1) is among recs, for which it starts one: such a container runs in the
// host's pid namespace, where only a process in the holder's namespaces
// can see and end it (a new session's pid namespace cannot). False when
// the holder is off or cannot start: the cleanup gets a session of its own.
func holderFor(cfg config.Config, recs []state.Record) bool {
	if cfg.SessionIdleTimeout == 0 || os.Getenv("RRUN_HOLDER") == "0" {
		return false
	}
	if h, ok := session.ReadHolder(cfg.Dirs.Run); ok && h.Alive() {
		return true
	}
	warm := false
	for _, r := range recs {
		mode, _, _ := network.Parse(r.Options.Network)
		warm = warm || mode == network.ModeNone || mode == network.ModeHost ||
			(mode != network.ModeContainer && session.WarmPrivate())
	}
	return warm && session.StartHolder(cfg.Dirs.Run, session.PlanMapping(), cfg.SessionIdleTimeout) == nil
}

// runJoined runs `rrun ARGS`, which the C constructor moves into the
// holder (or, when the holder went meanwhile, which enters a session of
// its own).
func runJoined(args []string) error {
	cmd := exec.Command("/proc/self/exe", args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("failed to clean up in the session holder: %w", err)
	}
	return nil
}
