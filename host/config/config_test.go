package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPluginStartTimeout(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "config"))
	t.Setenv("XDG_DATA_HOME", filepath.Join(home, "data"))
	t.Setenv("RRUN_STORAGE", "vfs")
	t.Setenv("RRUN_PLUGIN_START_TIMEOUT", "")
	if cfg, err := Load(); err != nil || cfg.PluginStartTimeout != 0 {
		t.Fatalf("unset: got %v, %v; want 0 (the plugin manager's default)", cfg.PluginStartTimeout, err)
	}
	dir := filepath.Join(home, "config", "rrun")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.toml"), []byte("[plugins]\nstart_timeout = \"3s\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if cfg, err := Load(); err != nil || cfg.PluginStartTimeout != 3*time.Second {
		t.Fatalf("config.toml: got %v, %v", cfg.PluginStartTimeout, err)
	}
	t.Setenv("RRUN_PLUGIN_START_TIMEOUT", "500ms")
	if cfg, err := Load(); err != nil || cfg.PluginStartTimeout != 500*time.Millisecond {
		t.Fatalf("the environment wins: got %v, %v", cfg.PluginStartTimeout, err)
	}
	t.Setenv("RRUN_PLUGIN_START_TIMEOUT", "soon")
	if _, err := Load(); err == nil || !strings.Contains(err.Error(), `"soon"`) {
		t.Fatalf("an invalid duration is refused: %v", err)
	}
}
