package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/config"
	"github.com/rrun-project/rrun/host/session"
	"github.com/rrun-project/rrun/plugins/storage/cstorage"
)

// The default storage backend is probed by the built-in plugin's code
// (host/ does not import storage/), unless --storage names one.
func init() {
	config.StorageProbe = func(dir string) (string, string) {
		if globals.storage != "" {
			return "", ""
		}
		return cstorage.ProbeDriver(dir)
	}
}

func newInfoCommand() *cobra.Command {
	var f string
	cmd := &cobra.Command{
		Use: "info [OPTIONS]", Short: "Show rrun's version, directories, id mapping, backends (and why) and plugins", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if f != "" {
				return printInfoFormat(f)
			}
			return printInfo()
		},
	}
	cmd.Flags().StringVarP(&f, "format", "f", "", "Format output using a custom template: 'json' or a Go template")
	return cmd
}

func printInfo() error {
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	plan := session.PlanMapping()
	mapping := plan.Mapping
	if plan.Warning != "" {
		mapping += " (" + plan.Warning + ")"
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 8, 2, ' ', 0)
	fmt.Fprintf(w, "Version:\t%s\n", version)
	fmt.Fprintf(w, "Data dir:\t%s\n", cfg.Dirs.Data)
	fmt.Fprintf(w, "Run dir:\t%s\n", cfg.Dirs.Run)
	fmt.Fprintf(w, "Config file:\t%s\n", filepath.Join(cfg.Dirs.Config, "config.toml"))
	fmt.Fprintf(w, "ID mapping:\t%s\n", mapping)
	fmt.Fprintf(w, "Storage:\t%s (%s)\n", cfg.Storage, storageReason(cfg))
	fmt.Fprintf(w, "Storage dir:\t%s\n", filepath.Join(cfg.Dirs.Data, "storage", cfg.Storage))
	if ro := cfg.StorageOptions[cstorage.OptionAdditionalImageStores]; ro != "" {
		fmt.Fprintf(w, "Read-only image stores:\t%s\n", ro)
	}
	fmt.Fprintf(w, "Keep-id owners:\t%s\n", keepIDOwners(cfg, plan))
	fmt.Fprintf(w, "Isolation:\t%s\n", cfg.Isolation)
	fmt.Fprintf(w, "Network:\t%s\n", networkInfo())
	fmt.Fprintf(w, "Session:\t%s\n", sessionInfo(cfg))
	w.Flush()
	all, err := probeAll()
	if err != nil {
		return err
	}
	fmt.Println("Plugins:")
	for _, p := range all {
		state := p.Version
		if p.Error != "" {
			state = "error: " + oneLine(p.Error)
		}
		where := "built-in"
		if !p.Builtin {
			where = p.Path
		}
		fmt.Printf("  %s/%s %s (%s) %s\n", p.Kind, p.Name, state, where, strings.Join(p.Caps, ","))
	}
	return nil
}

// storageReason says why cfg.Storage is the storage backend.
func storageReason(cfg config.Config) string {
	switch {
	case globals.storage != "":
		return "chosen with --storage"
	case cfg.StorageSource == config.SourceEnv:
		return "chosen with RRUN_STORAGE"
	case cfg.StorageSource == config.SourceFile:
		return "chosen in config.toml"
	case cfg.StorageSource == config.SourceProbe:
		return "probed: " + cfg.StorageWhy
	}
	return "the default"
}

// keepIDOwners is how a --userns=keep-id container sees the image's owners.
func keepIDOwners(cfg config.Config, plan session.Plan) string {
	if plan.Mapping == session.MappingSingle {
		return "squashed to your uid (single-uid mapping)"
	}
	if !slices.Contains(builtinStorage, cfg.Storage) {
		return "as the storage plugin " + cfg.Storage + " does it"
	}
	return cstorage.KeepIDOwners(filepath.Join(cfg.Dirs.Data, "storage", cfg.Storage), cfg.Storage, cfg.StorageOptions)
}
