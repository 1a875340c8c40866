package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/host/build"
	"github.com/rrun-project/rrun/host/config"
	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/host/pluginmgr"
)

// A build owns a dir under RUN/builds while it runs: the flock of its
// owner.lock (held by the build's CLI) says it is alive; its backends file
// names the plugins it uses; build.RootfsDir lists the build root
// filesystems (and build containers, which share their ids) it holds; its
// temporary files (network plan, a Dockerfile or context from stdin, empty
// COPY sources) live in it. The next command that reconciles removes what
// a killed build left (see "Crash recovery" in docs/internal.md).
const (
	buildsDir        = "builds"
	buildLockName    = "owner.lock"
	buildBackends    = "backends"
	reclaimBuildArg  = "__reclaim-build"
	abandonedNewDirs = time.Minute
)

// buildState is a live build's dir and the lock that says so.
type buildState struct {
	dir  string
	lock *os.File
}

// newBuildState makes the build's dir, locked before it gets its name so
// that no reconciling command ever sees it unlocked while the build lives.
func newBuildState(cfg config.Config) (*buildState, error) {
	parent := filepath.Join(cfg.Dirs.Run, buildsDir)
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return nil, fmt.Errorf("failed to create the build state dir: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, ".new-")
	if err != nil {
		return nil, fmt.Errorf("failed to create the build state dir: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(tmp, buildLockName), os.O_CREATE|os.O_RDWR|unix.O_CLOEXEC, 0o600)
	if err == nil {
		err = unix.Flock(int(lock.Fd()), unix.LOCK_EX|unix.LOCK_NB)
	}
	backends := cfg.Storage + "\n" + cfg.Isolation + "\n"
	if err == nil {
		err = os.WriteFile(filepath.Join(tmp, buildBackends), []byte(backends), 0o600)
	}
	dir := filepath.Join(parent, strings.TrimPrefix(filepath.Base(tmp), ".new-"))
	if err == nil {
		err = os.Rename(tmp, dir)
	}
	if err != nil {
		if lock != nil {
			lock.Close()
		}
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("failed to create the build state dir: %w", err)
	}
	return &buildState{dir: dir, lock: lock}, nil
}

// release removes the dir of a build that ended.
func (s *buildState) release() {
	os.RemoveAll(s.dir)
	s.lock.Close()
}

// lockStaleBuild takes the lock of build dir p when nobody holds it: the
// build was killed. The caller closes the file.
func lockStaleBuild(p string) (*os.File, bool) {
	f, err := os.Open(filepath.Join(p, buildLockName))
	if err != nil {
		return nil, false
	}
	if unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) != nil {
		f.Close()
		return nil, false
	}
	return f, true
}

// reclaimStaleBuilds removes what killed builds left: a dir with no build
// root filesystem at once, one with some through their plugins in a
// session. A failure is a warning and leaves the dir for the next try.
func reclaimStaleBuilds(cfg config.Config) {
	parent := filepath.Join(cfg.Dirs.Run, buildsDir)
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range entries {
		p := filepath.Join(parent, e.Name())
		if strings.HasPrefix(e.Name(), ".") {
			removeIfOld(p)
			continue
		}
		f, stale := lockStaleBuild(p)
		if !stale {
			continue
		}
		ids, _ := os.ReadDir(filepath.Join(p, build.RootfsDir)) // none: nothing for the plugins
		f.Close()
		if len(ids) == 0 {
			os.RemoveAll(p)
			continue
		}
		if err := enterSession(withBuildBackends(cfg, p), append(globalArgsFor(withBuildBackends(cfg, p)), reclaimBuildArg, p)); err != nil {
			warnf("failed to clean up after a killed build: %v", err)
		}
	}
}

// removeIfOld removes a build dir that never got its name (its rrun was
// killed between mkdir and rename).
func removeIfOld(p string) {
	if st, err := os.Stat(p); err == nil && time.Since(st.ModTime()) > abandonedNewDirs {
		os.RemoveAll(p)
	}
}

// withBuildBackends is cfg with the plugins the build in dir used.
func withBuildBackends(cfg config.Config, dir string) config.Config {
	b, err := os.ReadFile(filepath.Join(dir, buildBackends))
	if err != nil {
		return cfg
	}
	if names := strings.Fields(string(b)); len(names) == 2 {
		cfg.Storage, cfg.Isolation = names[0], names[1]
	}
	return cfg
}

// newReclaimBuildCommand is the hidden verb that removes a killed build's
// containers and root filesystems inside a session.
func newReclaimBuildCommand() *cobra.Command {
	return &cobra.Command{
		Use: reclaimBuildArg + " DIR", Hidden: true, Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			f, stale := lockStaleBuild(args[0])
			if !stale {
				return nil // another rrun is on it
			}
			defer f.Close()
			cfg, err := loadConfig()
			if err != nil {
				return err
			}
			return inSessionWith(cfg, needs{storage: true, isolation: true}, func(ctx context.Context, _ *pluginmgr.Manager, b *container.Backends) error {
				return reclaimBuild(ctx, b, args[0])
			})
		},
	}
}

// reclaimBuild deletes each recorded build container and root filesystem,
// then the build's dir.
func reclaimBuild(ctx context.Context, b *container.Backends, dir string) error {
	ids, err := os.ReadDir(filepath.Join(dir, build.RootfsDir))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("failed to read the killed build's records: %w", err)
	}
	for _, e := range ids {
		id := e.Name()
		if err := b.Isolation.Delete(ctx, id); err != nil {
			warnf("failed to delete build container %s: %v", shortIDs([]string{id}), err)
		}
		if err := b.Storage.RemoveRootfs(ctx, id); err != nil {
			return fmt.Errorf("failed to remove build root filesystem %s: %w", shortIDs([]string{id}), err)
		}
		os.Remove(filepath.Join(dir, build.RootfsDir, id))
	}
	return os.RemoveAll(dir)
}
