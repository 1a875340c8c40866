package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/host/build"
	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/host/monitor"
	"github.com/rrun-project/rrun/host/network"
	"github.com/rrun-project/rrun/host/pluginmgr"
)

// buildInSession runs the build inside the session; Ctrl-C or a kill
// stops the running step and removes what the build made.
func buildInSession(f buildFlags, contextArg string) error {
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	o := buildOptions(f, contextArg)
	o.CacheMountDir = filepath.Join(cfg.Dirs.Data, "build", "cache-mounts")
	o.StateDir = f.stateDir
	env := container.SpecEnv{VolumesDir: filepath.Join(cfg.Dirs.Data, "volumes"), Cgroups: cfg.Cgroups}
	if f.networkPlan != "" {
		env.Network = &network.Plan{Mode: f.network, Dir: f.networkPlan}
	}
	return inSessionWith(cfg, needs{storage: true, isolation: true}, func(ctx context.Context, _ *pluginmgr.Manager, b *container.Backends) error {
		ctx, stop := signal.NotifyContext(ctx, unix.SIGINT, unix.SIGTERM)
		defer stop()
		id, err := build.Build(ctx, b, env, o)
		var se *build.StepError
		if errors.As(err, &se) {
			fmt.Fprintln(os.Stderr, "rrun: failed to build: "+err.Error())
			return exitCode(1)
		}
		if err != nil {
			return err
		}
		if f.quiet {
			fmt.Println("sha256:" + id)
		}
		return nil
	})
}

// buildOptions turns the resolved flags into build.Options.
func buildOptions(f buildFlags, contextArg string) build.Options {
	o := build.Options{
		Dockerfile: f.file, Tags: f.tags, Target: f.target, NoCache: f.noCache, Network: f.network,
		Quiet: f.quiet, IIDFile: f.iidfile, LiveView: liveView(f.progress), Platform: f.platform, Out: os.Stderr, Stdout: os.Stdout,
		BuildArgs: keyValues(f.buildArgs), Labels: keyValues(f.labels), Secrets: map[string]string{},
		Pull: map[string]string{"true": "always", "false": "missing"}[f.pull],
	}
	if o.Pull == "" {
		o.Pull = f.pull
	}
	if contextArg != "-" {
		o.ContextDir = absOrEmpty(contextArg)
	}
	for _, s := range f.secrets {
		if id, src, err := parseSecret(s); err == nil {
			o.Secrets[id] = src
		}
	}
	return o
}

// keyValues reads K=V flags; a K without a value is dropped.
func keyValues(list []string) map[string]string {
	m := map[string]string{}
	for _, kv := range list {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

// liveView decides the build output: the compact live view with
// --progress tty, or auto when stderr is a terminal; plain lines else.
func liveView(progress string) bool {
	return progress == "tty" || (progress == "auto" && monitor.IsTerminal(2))
}
