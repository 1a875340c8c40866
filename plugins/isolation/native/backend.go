//go:build linux

package native

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/hashicorp/go-hclog"

	"github.com/rrun-project/rrun/plugins/api"
	"github.com/rrun-project/rrun/plugins/api/reaper"
	"github.com/rrun-project/rrun/plugins/isolation/native/nsinit"
)

// Version is the backend's version, reported by Info.
const Version = "0.1.0"

// Backend is the native isolation backend. It is safe for concurrent use.
type Backend struct {
	log      hclog.Logger
	initPath string // rrun-nsinit, or "" when not found (then initErr)
	initErr  error
	reaper   *reaper.Reaper // set by Configure: reaps the containers' processes

	mu          sync.Mutex
	runDir      string
	singleIDMap bool                  // the session maps one uid only
	containers  map[string]*container // nil value: id reserved by a Create in progress

	spareMu       sync.Mutex
	sparesOn      bool   // option spare_init (default true)
	spare         *spare // ready for the next Create of its clone flags
	spareStarting bool
	sparesAlways  bool // tests: spares in a process that is not a warm plugin

	cInit bool // option c_init (default true): inits set up in C (see cInitConfig)
}

var _ api.Isolation = (*Backend)(nil)

// New returns an unconfigured backend. Its logs go to stderr as JSON lines,
// which go-plugin hands to the host's logger at their level.
func New() *Backend {
	b := &Backend{
		log: hclog.New(&hclog.LoggerOptions{
			Name: "isolation.native", Level: hclog.Info, Output: os.Stderr, JSONFormat: true,
		}),
		containers: map[string]*container{},
	}
	b.initPath, b.initErr = findNsinit()
	return b
}

// Info describes the backend.
func (b *Backend) Info(context.Context) (api.PluginInfo, error) {
	caps := []string{
		api.CapIsolationPIDNS, api.CapIsolationUTSNS, api.CapIsolationIPCNS,
		api.CapIsolationNetNS, api.CapIsolationNetNSPath, api.CapIsolationDevices, api.CapIsolationTTY,
		api.CapIsolationPreserveFds,
	}
	if nsinit.NsenterBuilt {
		caps = append(caps, api.CapIsolationExec)
	}
	if seccompBuilt {
		caps = append(caps, api.CapIsolationSeccomp)
	}
	return api.PluginInfo{
		Kind:         api.KindIsolation,
		Name:         "native",
		Version:      Version,
		APIVersions:  []string{api.APIVersion},
		Capabilities: caps,
	}, nil
}

// Configure takes the run dir, where each container gets <RunDir>/<id>.
// Option log_level (trace, debug, info, warn, error) sets the log level;
// spare_init=false starts every init when its Create comes (see spare);
// c_init=false sets every container up in Go (see cInitConfig).
func (b *Backend) Configure(_ context.Context, cfg api.Config) error {
	if cfg.APIVersion != "" && cfg.APIVersion != api.APIVersion {
		return api.Errorf(api.ErrInvalidArgument, "", "isolation native: unsupported api version %q (have %s)", cfg.APIVersion, api.APIVersion)
	}
	if cfg.RunDir == "" {
		return api.Errorf(api.ErrInvalidArgument, "", "isolation native: no run dir given")
	}
	if err := os.MkdirAll(cfg.RunDir, 0o700); err != nil {
		return api.Errorf(api.ErrFailedPrecondition, "", "isolation native: failed to create run dir %s: %v", cfg.RunDir, err)
	}
	if lvl, ok := cfg.Options["log_level"]; ok {
		b.log.SetLevel(hclog.LevelFromString(lvl))
	}
	r, err := reaper.Get()
	if err != nil {
		return api.Errorf(api.ErrFailedPrecondition, "", "isolation native: %v", err)
	}
	removeLeftovers(cfg.RunDir)
	single := singleIDMap("/proc/self/uid_map")
	b.mu.Lock()
	defer b.mu.Unlock()
	b.runDir, b.singleIDMap, b.reaper = cfg.RunDir, single, r
	b.cInit = nsinit.NsenterBuilt && cfg.Options["c_init"] != "false"
	b.spareMu.Lock()
	// A per-command plugin ends with its command: a spare would only cost.
	b.sparesOn = b.initErr == nil && cfg.Options["spare_init"] != "false" && (api.WarmProcess() || b.sparesAlways)
	b.spareMu.Unlock()
	return nil
}

// removeLeftovers removes run dirs a crash left half deleted.
func removeLeftovers(runDir string) {
	entries, _ := os.ReadDir(runDir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), deletingPrefix) {
			os.RemoveAll(filepath.Join(runDir, e.Name()))
		}
	}
}

// singleIDMap reports whether the map file has one line of size 1.
func singleIDMap(mapFile string) bool {
	m := readMaps(mapFile)
	return len(m) == 1 && m[0].Size == 1
}

// reserve claims id for a Create in progress and returns the run dir.
func (b *Backend) reserve(id string) (string, error) {
	if id == "" || id == "." || id == ".." || strings.ContainsAny(id, "/\x00") {
		return "", api.Errorf(api.ErrInvalidArgument, "", "invalid container id %q", id)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.runDir == "" {
		return "", api.Errorf(api.ErrFailedPrecondition, "", "isolation native: Create called before Configure")
	}
	if _, taken := b.containers[id]; taken {
		return "", api.Errorf(api.ErrAlreadyExists, "", "container %s already exists", id)
	}
	if _, err := os.Stat(filepath.Join(b.runDir, id, stateFileName)); err == nil {
		return "", api.Errorf(api.ErrAlreadyExists, "", "container %s already exists (made by an earlier plugin process)", id)
	}
	b.containers[id] = nil
	return b.runDir, nil
}

// publish makes a created container visible, or frees its id when c is nil.
func (b *Backend) publish(id string, c *container) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if c == nil {
		delete(b.containers, id)
		return
	}
	b.containers[id] = c
}

// get returns the container id, adopting it from its state file when an
// earlier plugin process made it.
func (b *Backend) get(id string) (*container, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if c := b.containers[id]; c != nil {
		if !b.replaced(c) {
			return c, nil
		}
		delete(b.containers, id)
	}
	_, reserved := b.containers[id]
	if reserved || b.runDir == "" || id == "" || id == "." || id == ".." || strings.ContainsAny(id, "/\x00") {
		return nil, api.Errorf(api.ErrNotFound, "", "container %s not found", id)
	}
	dir := filepath.Join(b.runDir, id)
	st, err := readState(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, api.Errorf(api.ErrNotFound, "", "container %s not found", id)
	}
	if err != nil {
		return nil, api.Errorf(api.ErrFailedPrecondition, "remove the directory "+dir, "container %s cannot be adopted: %v", id, err)
	}
	c := b.adoptContainer(dir, st)
	b.containers[id] = c
	b.log.Info("adopted container from an earlier plugin process", "container", id, "pid", c.init.Pid)
	return c, nil
}

// replaced reports whether c, known to this process, ended and another
// plugin process has since made a container of the same id (a restart by
// a monitor with an isolation plugin of its own): its state file names
// another init, so the container is adopted again from it.
func (b *Backend) replaced(c *container) bool {
	if c.init == nil || !c.init.Ended() {
		return false
	}
	st, err := readState(filepath.Join(b.runDir, c.id))
	return err == nil && (st.Init.Pid != c.init.Pid || st.Init.StartTime != c.init.StartTime)
}

// removeUnknown removes the run dir of a container no plugin process
// knows: one whose plugin was killed before it wrote the state file. A
// Create of id in progress in this process keeps its dir.
func (b *Backend) removeUnknown(id string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, reserved := b.containers[id]; reserved || b.runDir == "" || id == "" || id == "." || id == ".." || strings.ContainsAny(id, "/\x00") {
		return nil
	}
	return removeRunDir(id, filepath.Join(b.runDir, id))
}

// forget removes c if it is still the container known under its id.
func (b *Backend) forget(c *container) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.containers[c.id] == c {
		delete(b.containers, c.id)
	}
}
