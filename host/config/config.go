package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/BurntSushi/toml"
)

// Defaults when neither config.toml, the environment nor a flag says.
const (
	DefaultStorage   = "overlay"
	DefaultIsolation = "native"
)

// Config is the resolved configuration of one rrun command.
type Config struct {
	Dirs    Dirs
	Storage string
	// StorageSource says where Storage came from (Source*), StorageWhy
	// why a probe chose it; `rrun info` shows both.
	StorageSource string
	StorageWhy    string
	Isolation     string
	// StorageOptions and IsolationOptions are passed to the plugins' Configure.
	StorageOptions   map[string]string
	IsolationOptions map[string]string
	LogLevel         string
	// Cgroups is [containers] cgroups: "disabled" runs containers without
	// cgroups (and without the limits asked for), as --cgroups=disabled.
	Cgroups string
}

type fileConfig struct {
	Storage struct {
		Driver  string            `toml:"driver"`
		Options map[string]string `toml:"options"`
	} `toml:"storage"`
	Isolation struct {
		Backend string            `toml:"backend"`
		Options map[string]string `toml:"options"`
	} `toml:"isolation"`
	Containers struct {
		Cgroups string `toml:"cgroups"`
	} `toml:"containers"`
}

// Load reads config.toml (if any) and the RRUN_STORAGE / RRUN_ISOLATION
// environment variables. Flags are applied by the caller afterwards.
func Load() (Config, error) {
	dirs, err := ResolveDirs()
	if err != nil {
		return Config{}, err
	}
	cfg := Config{Dirs: dirs, Storage: DefaultStorage, Isolation: DefaultIsolation, LogLevel: "warn"}
	var fc fileConfig
	path := filepath.Join(dirs.Config, "config.toml")
	if _, err := toml.DecodeFile(path, &fc); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Config{}, fmt.Errorf("failed to read %s: %w (fix or remove the file)", path, err)
	}
	cfg.Storage, cfg.StorageSource = os.Getenv("RRUN_STORAGE"), SourceEnv
	if cfg.Storage == "" {
		cfg.Storage, cfg.StorageSource = fc.Storage.Driver, SourceFile
	}
	if cfg.Storage == "" {
		cfg.Storage, cfg.StorageWhy = probedStorage(dirs)
		cfg.StorageSource = SourceProbe
	}
	if cfg.Storage == "" {
		cfg.Storage, cfg.StorageSource = DefaultStorage, SourceDefault
	}
	cfg.Isolation = first(os.Getenv("RRUN_ISOLATION"), fc.Isolation.Backend, cfg.Isolation)
	cfg.StorageOptions = orEmpty(fc.Storage.Options)
	cfg.IsolationOptions = orEmpty(fc.Isolation.Options)
	cfg.Cgroups = fc.Containers.Cgroups
	return cfg, nil
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
