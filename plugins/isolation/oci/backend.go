package oci

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"

	"github.com/hashicorp/go-hclog"

	"github.com/rrun-project/rrun/plugins/api"
	"github.com/rrun-project/rrun/plugins/api/reaper"
)

// Version is the backend's version, reported by Info.
const Version = "0.1.0"

// OCIVersion is the ociVersion of the spec handed to the runtime.
const OCIVersion = "1.0.2-dev"

// Backend is the oci isolation backend. It is safe for concurrent use.
type Backend struct {
	log    hclog.Logger
	reaper *reaper.Reaper

	defaultRuntime string // used when the runtime option is not set

	mu         sync.Mutex
	runDir     string
	rt         *runtime
	containers map[string]*container // nil value: id reserved by a Create in progress
}

var _ api.Isolation = (*Backend)(nil)

// New returns an unconfigured backend. Its logs go to stderr as JSON lines,
// which go-plugin hands to the host's logger at their level.
func New() *Backend {
	return &Backend{
		log: hclog.New(&hclog.LoggerOptions{
			Name: "isolation.oci", Level: hclog.Info, Output: os.Stderr, JSONFormat: true,
		}),
		containers: map[string]*container{},
	}
}

// NewWithRuntime returns an unconfigured backend whose runtime defaults to
// name (a name on PATH or a path) instead of crun-else-runc.
func NewWithRuntime(name string) *Backend {
	b := New()
	b.defaultRuntime = name
	return b
}

// ServeMain serves the backend as a go-plugin plugin and reaps every
// orphan the process inherits. It returns when the host ends the plugin.
func ServeMain(b *Backend) {
	if r, err := reaper.Get(); err == nil {
		r.ReapOrphans()
	}
	api.ServeIsolation(b)
}

// Info describes the backend.
func (b *Backend) Info(context.Context) (api.PluginInfo, error) {
	return api.PluginInfo{
		Kind: api.KindIsolation, Name: "oci", Version: Version, APIVersions: []string{api.APIVersion},
		Capabilities: []string{api.CapIsolationPIDNS, api.CapIsolationUTSNS, api.CapIsolationIPCNS,
			api.CapIsolationNetNS, api.CapIsolationNetNSPath, api.CapIsolationDevices, api.CapIsolationTTY, api.CapIsolationExec,
			api.CapIsolationSeccomp, api.CapIsolationPreserveFds, api.CapIsolationResources},
	}, nil
}

// Configure takes the run dir and the options runtime and log_level.
func (b *Backend) Configure(_ context.Context, cfg api.Config) error {
	if cfg.APIVersion != "" && cfg.APIVersion != api.APIVersion {
		return api.Errorf(api.ErrInvalidArgument, "", "isolation oci: unsupported api version %q (have %s)", cfg.APIVersion, api.APIVersion)
	}
	if cfg.RunDir == "" {
		return api.Errorf(api.ErrInvalidArgument, "", "isolation oci: no run dir given")
	}
	if lvl, ok := cfg.Options["log_level"]; ok {
		b.log.SetLevel(hclog.LevelFromString(lvl))
	}
	opt := cfg.Options["runtime"]
	if opt == "" {
		opt = b.defaultRuntime
	}
	path, err := findRuntime(opt)
	if err != nil {
		return err
	}
	r, err := reaper.Get()
	if err != nil {
		return api.Errorf(api.ErrFailedPrecondition, "", "isolation oci: %v", err)
	}
	root := filepath.Join(cfg.RunDir, "runtime")
	if err := os.MkdirAll(root, 0o700); err != nil {
		return api.Errorf(api.ErrFailedPrecondition, "", "isolation oci: failed to create run dir %s: %v", root, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.runDir, b.reaper = cfg.RunDir, r
	b.rt = newRuntime(path, root, r, b.log)
	return nil
}

// sbinDirs are searched for a runtime name after PATH.
var sbinDirs = []string{"/usr/local/sbin", "/usr/sbin", "/sbin"}

// findRuntime resolves the runtime option: a name on PATH (or in an sbin
// directory) or a path. The default is crun, else runc.
func findRuntime(opt string) (string, error) {
	names := []string{opt}
	if opt == "" {
		names = []string{"crun", "runc"}
	}
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
		if filepath.Base(n) != n {
			continue
		}
		for _, dir := range sbinDirs { // Debian's runc is /usr/sbin/runc, off a user's PATH
			if p, err := exec.LookPath(filepath.Join(dir, n)); err == nil {
				return p, nil
			}
		}
	}
	if opt == "" {
		opt = "crun or runc"
	}
	return "", api.Errorf(api.ErrFailedPrecondition, "install crun or runc, or set the isolation option runtime to its path",
		"isolation oci: no OCI runtime %s found on PATH", opt)
}
