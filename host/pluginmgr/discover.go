package pluginmgr

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/rrun-project/rrun/plugins/api"
)

// PluginArg is the re-exec mode of a built-in plugin: `rrun __plugin KIND NAME`.
const PluginArg = "__plugin"

// Candidate is a plugin that can be launched.
type Candidate struct {
	Kind    string
	Name    string
	Path    string // the executable; the rrun binary itself for built-ins
	Builtin bool
}

// Manager discovers and launches plugins.
type Manager struct {
	Self       string              // the rrun executable
	Builtins   map[string][]string // kind -> names served by `rrun __plugin`
	SearchPath []string            // directories searched for rrun-KIND-NAME
	Debug      bool                // show plugin logs and stderr
	// RunDir is rrun's private volatile dir: the plugins' sockets live
	// under RunDir/plugins, one directory per plugin process, removed when
	// it stops ("" for the system temp dir).
	RunDir string
	// StartTimeout bounds each plugin's handshake and Info answer (0 for
	// DefaultStartTimeout).
	StartTimeout time.Duration
	// WarmIdle, when not 0, makes Acquire's plugins warm: they outlive
	// the command and exit after this long without a client.
	WarmIdle time.Duration
	// PrivateIsolation keeps the isolation plugin this command's child even
	// when WarmIdle is set: a detached monitor that hands its container to
	// rrun-monitor inherits the init when that plugin exits.
	PrivateIsolation bool
	// InheritTag names the resource limits, nice value and CPU affinity
	// this command was started with: a warm plugin serves only commands
	// of the same tag, since the containers it starts inherit its own.
	InheritTag string
}

// SearchPath is DESIGN.md's order: $RRUN_PLUGIN_PATH (colon separated),
// the user's plugin dir, then the system dirs.
func SearchPath(userPluginDir string) []string {
	var dirs []string
	for _, d := range strings.Split(os.Getenv("RRUN_PLUGIN_PATH"), ":") {
		if d != "" {
			dirs = append(dirs, d)
		}
	}
	return append(dirs, userPluginDir, "/usr/local/libexec/rrun", "/usr/libexec/rrun")
}

// Discover lists built-ins first, then external plugins in search order.
// A name already seen (a built-in, or an earlier directory) shadows later ones.
func (m *Manager) Discover() []Candidate {
	seen := map[string]bool{}
	var out []Candidate
	for _, kind := range []string{api.KindStorage, api.KindIsolation} {
		for _, name := range m.Builtins[kind] {
			seen[kind+"/"+name] = true
			out = append(out, Candidate{Kind: kind, Name: name, Path: m.Self, Builtin: true})
		}
	}
	for _, dir := range m.SearchPath {
		for _, c := range scanDir(dir) {
			if !seen[c.Kind+"/"+c.Name] {
				seen[c.Kind+"/"+c.Name] = true
				out = append(out, c)
			}
		}
	}
	return out
}

func scanDir(dir string) []Candidate {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []Candidate
	for _, e := range entries {
		kind, name, ok := parseName(e.Name())
		if ok && !e.IsDir() {
			out = append(out, Candidate{Kind: kind, Name: name, Path: filepath.Join(dir, e.Name())})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

func parseName(file string) (kind, name string, ok bool) {
	for _, k := range []string{api.KindStorage, api.KindIsolation} {
		if n, found := strings.CutPrefix(file, "rrun-"+k+"-"); found && n != "" {
			return k, n, true
		}
	}
	return "", "", false
}

// Find returns the plugin of that kind and name. Callers outside the
// session check external plugins with CheckPermissions (inside, file owners
// are seen through the user namespace and cannot be judged).
func (m *Manager) Find(kind, name string) (Candidate, error) {
	for _, c := range m.Discover() {
		if c.Kind == kind && c.Name == name {
			return c, nil
		}
	}
	return Candidate{}, api.Errorf(api.ErrNotFound,
		fmt.Sprintf("`rrun plugins ls` lists the installed plugins; install one as an executable rrun-%s-%s in $RRUN_PLUGIN_PATH or %s", kind, name, m.userDir()),
		"no %s plugin named %q", kind, name)
}

func (m *Manager) userDir() string {
	if n := len(m.SearchPath); n >= 3 {
		return m.SearchPath[n-3]
	}
	return "~/.local/share/rrun/plugins"
}

// maxSocketParent keeps a plugin's socket path, socketParent +
// "/plugin-dirNNNNNNNNNN/pluginNNNNNNNNNN", under the 108 bytes of a unix
// socket address.
const maxSocketParent = 64

// socketParent is the directory go-plugin makes each plugin's socket
// directory in: RunDir/plugins, or the system temp dir when the run dir is
// unset, cannot be made, or is too long for a socket path.
func (m *Manager) socketParent() string {
	if m.RunDir == "" {
		return ""
	}
	dir := filepath.Join(m.RunDir, "plugins")
	if len(dir) > maxSocketParent || os.MkdirAll(dir, 0o700) != nil {
		return ""
	}
	return dir
}
