package main

import (
	"os"
	"path/filepath"
	"runtime"

	"github.com/rrun-project/rrun/host/format"
	"github.com/rrun-project/rrun/host/session"
	"github.com/rrun-project/rrun/host/state"
)

// infoJSON is what `rrun info --format` sees: docker's field names where
// docker has the fact, rrun's own (DataDir, IDMapping, ...) otherwise.
type infoJSON struct {
	ID                string
	Containers        int
	ContainersRunning int
	ContainersPaused  int
	ContainersStopped int
	Driver            string
	DriverReason      string
	Isolation         string
	Network           string
	OSType            string
	Architecture      string
	NCPU              int
	ServerVersion     string
	DockerRootDir     string
	DataDir           string
	RunDir            string
	ConfigFile        string
	IDMapping         string
	KeepIDOwners      string // how a --userns=keep-id container sees the image's owners ("Keep-id owners:")
	Session           infoSession
	Rootless          bool
	Plugins           []infoPlugin
}

// infoPlugin is one plugin row of infoJSON.
type infoPlugin struct {
	Kind, Name, Version, Path, Error string
	Builtin                          bool
	Caps                             []string
}

// printInfoFormat prints `rrun info --format TEMPLATE`.
func printInfoFormat(text string) error {
	if text == "json" {
		text = "{{json .}}"
	}
	t, err := format.Parse(text)
	if err != nil {
		return err
	}
	cfg, store, err := loadStore()
	if err != nil {
		return err
	}
	plan := session.PlanMapping()
	in := infoJSON{Driver: cfg.Storage, DriverReason: storageReason(cfg), Isolation: cfg.Isolation, Network: networkInfo(),
		OSType: runtime.GOOS, Architecture: runtime.GOARCH, NCPU: runtime.NumCPU(), ServerVersion: version,
		DockerRootDir: cfg.Dirs.Data, DataDir: cfg.Dirs.Data, RunDir: cfg.Dirs.Run, Rootless: true,
		ConfigFile: filepath.Join(cfg.Dirs.Config, "config.toml"), IDMapping: plan.Mapping,
		KeepIDOwners: keepIDOwners(cfg, plan), Session: sessionInfo(cfg)}
	recs, _ := store.List() // an unreadable store counts no containers; ps says why
	for _, r := range recs {
		in.Containers++
		if st, _ := status(cfg, r); st == state.StatusRunning {
			in.ContainersRunning++
		} else {
			in.ContainersStopped++
		}
	}
	all, err := probeAll()
	if err != nil {
		return err
	}
	for _, p := range all {
		in.Plugins = append(in.Plugins, infoPlugin{Kind: p.Kind, Name: p.Name, Version: p.Version, Path: p.Path,
			Error: p.Error, Builtin: p.Builtin, Caps: p.Caps})
	}
	return format.Execute(os.Stdout, t, in)
}
