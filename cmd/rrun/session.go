package main

import (
	"context"
	"fmt"
	"os"

	"github.com/rrun-project/rrun/host/config"
	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/host/pluginmgr"
	"github.com/rrun-project/rrun/host/session"
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
	return &pluginmgr.Manager{
		Self:       self,
		Builtins:   map[string][]string{api.KindStorage: builtinStorage, api.KindIsolation: builtinIsolation},
		SearchPath: pluginmgr.SearchPath(cfg.Dirs.Plugins),
		Debug:      cfg.LogLevel == "debug",
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
	mgr := newManager(cfg)
	storage, isolation, err := choosePlugins(mgr, cfg, n)
	if err != nil {
		return err
	}
	if !session.Inside() {
		return enterSession(cfg, storage, isolation)
	}
	ctx := context.Background()
	b, err := container.Open(ctx, mgr, cfg, storage, isolation)
	if err != nil {
		return err
	}
	defer b.Abandon() // the session exits next; its pid namespace goes with it
	return fn(ctx, b)
}

func choosePlugins(mgr *pluginmgr.Manager, cfg config.Config, n needs) (storage, isolation *pluginmgr.Candidate, err error) {
	find := func(kind, name string) (*pluginmgr.Candidate, error) {
		c, err := mgr.Find(kind, name)
		if err != nil {
			return nil, err
		}
		if !c.Builtin && !session.Inside() {
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

func enterSession(cfg config.Config, _, _ *pluginmgr.Candidate) error {
	if err := cfg.Dirs.Ensure(); err != nil {
		return err
	}
	os.Setenv(config.RunDirEnv, cfg.Dirs.Run)
	plan := session.PlanMapping()
	if plan.Warning != "" {
		fmt.Fprintln(os.Stderr, "rrun: warning: "+plan.Warning)
	}
	code, err := session.Enter(cfg.Dirs.Run, plan)
	if err != nil {
		return err
	}
	if code != 0 {
		return exitCode(code)
	}
	return nil
}
