package container

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rrun-project/rrun/host/config"
	"github.com/rrun-project/rrun/host/pluginmgr"
	"github.com/rrun-project/rrun/host/trace"
	"github.com/rrun-project/rrun/plugins/api"
)

// Backends are the plugins one session uses.
type Backends struct {
	Storage   api.Storage
	Isolation api.Isolation
	insts     []*pluginmgr.Instance
}

// Open launches the given plugins concurrently and configures them. A nil
// candidate is not launched.
func Open(ctx context.Context, mgr *pluginmgr.Manager, cfg config.Config, storage, isolation *pluginmgr.Candidate) (*Backends, error) {
	type result struct {
		inst *pluginmgr.Instance
		err  error
	}
	start := func(c *pluginmgr.Candidate, opts map[string]string) chan result {
		ch := make(chan result, 1)
		if c == nil {
			ch <- result{}
			return ch
		}
		go func() {
			inst, err := openOne(ctx, mgr, cfg.Dirs, *c, opts)
			ch <- result{inst, err}
		}()
		return ch
	}
	sch, ich := start(storage, withLogLevel(cfg.StorageOptions, cfg.LogLevel)), start(isolation, withLogLevel(cfg.IsolationOptions, cfg.LogLevel))
	s, i := <-sch, <-ich
	b := &Backends{}
	for _, r := range []result{s, i} {
		if r.inst != nil {
			b.insts = append(b.insts, r.inst)
		}
	}
	if s.err != nil || i.err != nil {
		b.Close()
		if s.err != nil {
			return nil, s.err
		}
		return nil, i.err
	}
	if s.inst != nil {
		b.Storage = s.inst.Storage
	}
	if i.inst != nil {
		b.Isolation = i.inst.Isolation
	}
	return b, nil
}

func openOne(ctx context.Context, mgr *pluginmgr.Manager, dirs config.Dirs, c pluginmgr.Candidate, opts map[string]string) (*pluginmgr.Instance, error) {
	uidMap, gidMap := readIDMap("/proc/self/uid_map"), readIDMap("/proc/self/gid_map")
	conf := api.Config{
		Options:  opts,
		StateDir: filepath.Join(dirs.Data, c.Kind, c.Name),
		RunDir:   filepath.Join(dirs.Run, c.Kind, c.Name),
		UIDMap:   uidMap,
		GIDMap:   gidMap,
	}
	// A debug run gets plugins of its own, so their log lines reach this
	// command's stderr (a warm plugin logs into its own stderr.log).
	if mgr.CanWarm(c) && opts["log_level"] != "debug" {
		key, _ := json.Marshal(conf) // plain fields: cannot fail
		inst, err := mgr.Acquire(ctx, c, string(key), func(inst *pluginmgr.Instance) error {
			trace.Mark(c.Kind + " plugin started warm")
			return inst.Configure(ctx, conf)
		})
		trace.Mark(c.Kind + " plugin attached")
		return inst, err
	}
	inst, err := mgr.Launch(ctx, c)
	if err != nil {
		return nil, err
	}
	err = inst.Configure(ctx, conf)
	if err != nil {
		inst.Close()
		return nil, err
	}
	return inst, nil
}

// storageCan is storageHas for a storage plugin attached by rrun, and
// asks the plugin's Info otherwise (one given to Backends as it is).
func (b *Backends) storageCan(ctx context.Context, capability string) bool {
	for _, i := range b.insts {
		if i.Storage != nil {
			return slices.Contains(i.Info.Capabilities, capability)
		}
	}
	return hasCapability(ctx, b.Storage, capability)
}

// storageHas reports whether the storage plugin announced capability, as
// its Info said when it was attached (no call to the plugin).
func (b *Backends) storageHas(capability string) bool {
	for _, i := range b.insts {
		if i.Storage != nil {
			return slices.Contains(i.Info.Capabilities, capability)
		}
	}
	return false
}

// warmStorage reports whether the storage plugin outlives this command.
func (b *Backends) warmStorage() bool {
	for _, i := range b.insts {
		if i.Storage != nil {
			return i.Warm()
		}
	}
	return false
}

// IsolationPID is the pid of the isolation plugin this command started
// (0 when it is a warm plugin or none).
func (b *Backends) IsolationPID() int {
	for _, i := range b.insts {
		if i.Kind == api.KindIsolation {
			return i.Pid()
		}
	}
	return 0
}

// Abandon kills every plugin without waiting: the session is ending.
func (b *Backends) Abandon() {
	for _, i := range b.insts {
		i.Abandon()
	}
}

// Close stops every plugin, concurrently.
func (b *Backends) Close() {
	var wg sync.WaitGroup
	for _, i := range b.insts {
		wg.Add(1)
		go func() { defer wg.Done(); i.Close() }()
	}
	wg.Wait()
	trace.Mark("plugins stopped")
}

func readIDMap(path string) []api.IDMap {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var out []api.IDMap
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var m api.IDMap
		if _, err := fmt.Sscan(line, &m.ContainerID, &m.HostID, &m.Size); err == nil {
			out = append(out, m)
		}
	}
	return out
}

// checkSeccomp refuses a spec with a seccomp filter for an isolation
// backend that does not announce isolation.seccomp: it would run the
// container unfiltered.
func (b *Backends) checkSeccomp(spec *specs.Spec) error {
	if spec.Linux == nil || spec.Linux.Seccomp == nil {
		return nil
	}
	for _, inst := range b.insts {
		if inst.Isolation != nil && !slices.Contains(inst.Info.Capabilities, api.CapIsolationSeccomp) {
			return api.Errorf(api.ErrFailedPrecondition, "run with --security-opt seccomp=unconfined, or use a backend that has it",
				"isolation backend %s does not enforce seccomp filters", inst.Info.Name)
		}
	}
	return nil
}

// AppliesResources reports whether the isolation backend applies
// linux.resources itself (isolation.resources).
func (b *Backends) AppliesResources() bool { return b.isolationHas(api.CapIsolationResources) }

// JoinsNetNS reports whether the isolation backend joins a network
// namespace named by path (isolation.netns-path).
func (b *Backends) JoinsNetNS() bool { return b.isolationHas(api.CapIsolationNetNSPath) }

// isolationHas reports whether the isolation plugin announced capability,
// as its Info said when it was attached.
func (b *Backends) isolationHas(capability string) bool {
	for _, inst := range b.insts {
		if inst.Isolation != nil {
			return slices.Contains(inst.Info.Capabilities, capability)
		}
	}
	return false
}

// withLogLevel adds option log_level (rrun's --log-level) to a plugin's
// options, unless the configuration sets it for that plugin: every plugin
// logs at the host's level (see "log_level" in docs/plugins.md).
func withLogLevel(opts map[string]string, level string) map[string]string {
	if _, set := opts["log_level"]; set || level == "" {
		return opts
	}
	out := map[string]string{"log_level": level}
	for k, v := range opts {
		out[k] = v
	}
	return out
}
