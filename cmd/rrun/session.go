package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/rrun-project/rrun/host/config"
	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/host/network"
	"github.com/rrun-project/rrun/host/pluginmgr"
	"github.com/rrun-project/rrun/host/session"
	"github.com/rrun-project/rrun/host/session/join"
	"github.com/rrun-project/rrun/plugins/api"
)

// needs says which plugins a verb uses.
type needs struct{ storage, isolation bool }

func loadConfig() (config.Config, error) {
	cfg, err := config.Load()
	if err != nil {
		return cfg, err
	}
	if globals.storage != "" {
		cfg.Storage = globals.storage
	}
	if globals.isolation != "" {
		cfg.Isolation = globals.isolation
	}
	cfg.LogLevel = globals.logLevel
	return cfg, nil
}

func newManager(cfg config.Config) *pluginmgr.Manager {
	self := "/proc/self/exe"
	if exe, err := os.Executable(); err == nil && !session.Inside() {
		self = exe
	}
	var warm time.Duration
	if session.Joined() {
		warm = cfg.SessionIdleTimeout // the holder's namespaces outlive the command
	}
	return &pluginmgr.Manager{
		WarmIdle:     warm,
		Self:         self,
		Builtins:     map[string][]string{api.KindStorage: builtinStorage, api.KindIsolation: builtinIsolation},
		SearchPath:   pluginmgr.SearchPath(cfg.Dirs.Plugins),
		Debug:        cfg.LogLevel == "debug",
		RunDir:       cfg.Dirs.Run,
		StartTimeout: cfg.PluginStartTimeout,
		// a detached monitor that hands its container to rrun-monitor
		PrivateIsolation: privateIsolation,
		InheritTag:       join.InheritTag(),
	}
}

// inSession runs fn inside a rootless session with the plugins the verb
// needs. Called outside a session, it checks the plugins, enters one (which
// runs this same command again, inside) and returns its exit code.
func inSession(n needs, fn func(ctx context.Context, b *container.Backends) error) error {
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	settleRemovals(cfg)
	return inSessionWith(cfg, n, func(ctx context.Context, _ *pluginmgr.Manager, b *container.Backends) error {
		return fn(ctx, b)
	})
}

// inSessionWith is inSession with a given configuration, and gives fn the
// plugin manager too.
func inSessionWith(cfg config.Config, n needs, fn func(context.Context, *pluginmgr.Manager, *container.Backends) error) error {
	mgr := newManager(cfg)
	storage, isolation, err := choosePlugins(mgr, cfg, n)
	if err != nil {
		return err
	}
	if !session.Inside() {
		return enterSession(cfg, nil)
	}
	ctx := context.Background()
	b, err := container.Open(ctx, mgr, cfg, storage, isolation)
	if err != nil {
		return err
	}
	// The session exits next (its pid namespace goes with it), after the
	// work left for after the exit code (runLater), which may still use
	// the plugins: a foreground --rm container's removal.
	defer runLater(b.Abandon)
	return fn(ctx, mgr, b)
}

// inSessionEarly is inSessionWith for the monitor of a run: it takes the
// plugins the run started opening early (openEarly) when there are any.
func inSessionEarly(cfg config.Config, fn func(context.Context, *pluginmgr.Manager, *container.Backends) error) error {
	b, ok, err := takeEarly()
	if !ok || !session.Inside() {
		if ok && err == nil {
			b.Abandon()
		}
		return inSessionWith(cfg, needs{storage: true, isolation: true}, fn)
	}
	if err != nil {
		return err
	}
	defer runLater(b.Abandon) // as inSessionWith's
	return fn(context.Background(), newManager(cfg), b)
}

func choosePlugins(mgr *pluginmgr.Manager, cfg config.Config, n needs) (storage, isolation *pluginmgr.Candidate, err error) {
	find := func(kind, name string) (*pluginmgr.Candidate, error) {
		c, err := mgr.Find(kind, name)
		if err != nil {
			return nil, err
		}
		switch {
		case c.Builtin:
		case join.Joined():
			if err := pluginmgr.CheckPermissionsJoined(c.Path); err != nil {
				return nil, err
			}
		case !session.Inside():
			if err := pluginmgr.CheckPermissions(c.Path); err != nil {
				return nil, err
			}
		}
		return &c, nil
	}
	if n.storage {
		if storage, err = find(api.KindStorage, cfg.Storage); err != nil {
			return nil, nil, err
		}
	}
	if n.isolation {
		if isolation, err = find(api.KindIsolation, cfg.Isolation); err != nil {
			return nil, nil, err
		}
	}
	return storage, isolation, nil
}

// enterSession runs this command again inside a session (or, with args,
// `rrun ARGS`) and turns the session's exit status into this process's.
func enterSession(cfg config.Config, args []string) error {
	return enterContainerSession(cfg, args, nil)
}

// enterContainerSession is enterSession for a container whose network the
// session's network namespace becomes (net nil: the user's own).
func enterContainerSession(cfg config.Config, args []string, net *network.Plan) error {
	if err := cfg.Dirs.Ensure(); err != nil {
		return err
	}
	os.Setenv(config.RunDirEnv, cfg.Dirs.Run)
	plan := session.PlanMapping()
	plan.Network = net
	if plan.Warning != "" {
		fmt.Fprintln(os.Stderr, "rrun: warning: "+plan.Warning)
	}
	if args == nil {
		args = os.Args[1:]
	}
	stopPulls, err := startPullBroker(cfg.Dirs.Run, net)
	if err != nil {
		return err
	}
	code, err := session.EnterWith(cfg.Dirs.Run, plan, args)
	stopPulls()
	if err != nil {
		return err
	}
	if code != 0 {
		return exitCode(code)
	}
	return nil
}

// globalArgs are the global flags to pass on to a re-executed rrun.
func globalArgs() []string {
	args := []string{"--log-level", globals.logLevel}
	if globals.storage != "" {
		args = append(args, "--storage", globals.storage)
	}
	if globals.isolation != "" {
		args = append(args, "--isolation", globals.isolation)
	}
	return args
}
