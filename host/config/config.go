package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

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
	// PluginStartTimeout is [plugins] start_timeout, or
	// RRUN_PLUGIN_START_TIMEOUT: how long a plugin may take to start and
	// describe itself (0: the plugin manager's default).
	PluginStartTimeout time.Duration
	// SessionIdleTimeout is [session] idle_timeout, or
	// RRUN_SESSION_IDLE_TIMEOUT: how long the session holder stays up
	// after the last command that used it (0: no holder, a session per
	// command).
	SessionIdleTimeout time.Duration
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
	Plugins struct {
		StartTimeout string `toml:"start_timeout"`
	} `toml:"plugins"`
	Session struct {
		IdleTimeout string `toml:"idle_timeout"`
	} `toml:"session"`
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
	if cfg.PluginStartTimeout, err = pluginStartTimeout(fc.Plugins.StartTimeout); err != nil {
		return Config{}, fmt.Errorf("%w (in RRUN_PLUGIN_START_TIMEOUT or %s)", err, path)
	}
	if cfg.SessionIdleTimeout, err = sessionIdleTimeout(fc.Session.IdleTimeout); err != nil {
		return Config{}, fmt.Errorf("%w (in RRUN_SESSION_IDLE_TIMEOUT or %s)", err, path)
	}
	return cfg, nil
}

// DefaultSessionIdleTimeout is how long the session holder outlives the
// last command that used it, unless configured.
const DefaultSessionIdleTimeout = 30 * time.Second

// SessionIdleTimeout is [session] idle_timeout alone, read without the
// rest of Load (the holder is started before the CLI parses anything).
func SessionIdleTimeout(dirs Dirs) (time.Duration, error) {
	var fc fileConfig
	path := filepath.Join(dirs.Config, "config.toml")
	if _, err := toml.DecodeFile(path, &fc); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return 0, fmt.Errorf("failed to read %s: %w (fix or remove the file)", path, err)
	}
	return sessionIdleTimeout(fc.Session.IdleTimeout)
}

// sessionIdleTimeout is RRUN_SESSION_IDLE_TIMEOUT, else the file's value,
// as a Go duration; "0" turns the holder off.
func sessionIdleTimeout(fromFile string) (time.Duration, error) {
	v := first(os.Getenv("RRUN_SESSION_IDLE_TIMEOUT"), fromFile)
	if v == "" {
		return DefaultSessionIdleTimeout, nil
	}
	if v == "0" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("invalid session idle timeout %q: want a duration such as \"30s\" (0: no session holder)", v)
	}
	return d, nil
}

// pluginStartTimeout is RRUN_PLUGIN_START_TIMEOUT, else the file's value,
// as a Go duration ("10s", "1m").
func pluginStartTimeout(fromFile string) (time.Duration, error) {
	v := first(os.Getenv("RRUN_PLUGIN_START_TIMEOUT"), fromFile)
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("invalid plugin start timeout %q: want a positive duration such as \"10s\"", v)
	}
	return d, nil
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
