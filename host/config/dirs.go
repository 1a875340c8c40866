package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// Dirs are rrun's places on disk for the invoking user.
type Dirs struct {
	Data    string // persistent: stores, container records
	Run     string // volatile: sessions, sockets, FIFOs
	Config  string // config.toml lives here
	Plugins string // $XDG_DATA_HOME/rrun/plugins
}

// ResolveDirs applies the XDG base directory rules. The run dir falls back
// to /tmp/rrun-$UID when XDG_RUNTIME_DIR is unset or not ours.
func ResolveDirs() (Dirs, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return Dirs{}, fmt.Errorf("failed to find the home directory: %w (set HOME)", err)
	}
	data := xdg("XDG_DATA_HOME", filepath.Join(home, ".local", "share"))
	cfg := xdg("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	return Dirs{
		Data:    filepath.Join(data, "rrun"),
		Run:     runDir(),
		Config:  filepath.Join(cfg, "rrun"),
		Plugins: filepath.Join(data, "rrun", "plugins"),
	}, nil
}

func xdg(key, def string) string {
	if v := os.Getenv(key); v != "" && filepath.IsAbs(v) {
		return v
	}
	return def
}

// RunDirEnv carries the resolved run dir into the session, where the uid is
// 0 and XDG_RUNTIME_DIR may not be ours.
const RunDirEnv = "_RRUN_RUN_DIR"

func runDir() string {
	if v := os.Getenv(RunDirEnv); v != "" {
		return v
	}
	if v := os.Getenv("XDG_RUNTIME_DIR"); v != "" && filepath.IsAbs(v) {
		if st, err := os.Stat(v); err == nil && st.IsDir() && ownedByMe(st) {
			return filepath.Join(v, "rrun")
		}
	}
	return filepath.Join(os.TempDir(), "rrun-"+strconv.Itoa(os.Getuid()))
}

// Ensure creates the directories with private modes.
func (d Dirs) Ensure() error {
	for _, p := range []string{d.Data, d.Run} {
		if err := os.MkdirAll(p, 0o700); err != nil {
			return fmt.Errorf("failed to create %s: %w", p, err)
		}
	}
	st, err := os.Lstat(d.Run)
	if err != nil {
		return err
	}
	if !st.IsDir() || !ownedByMe(st) {
		return fmt.Errorf("run directory %s is not a directory owned by uid %d: remove it or set XDG_RUNTIME_DIR", d.Run, os.Getuid())
	}
	return nil
}
