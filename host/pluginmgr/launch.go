package pluginmgr

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/rrun-project/rrun/plugins/api"
)

// Instance is one running plugin process.
type Instance struct {
	Candidate
	Info      api.PluginInfo
	Storage   api.Storage   // set for storage plugins
	Isolation api.Isolation // set for isolation plugins

	client *plugin.Client
	cmd    *exec.Cmd
	stderr *tailBuffer
}

// Launch starts the plugin, does the go-plugin handshake, and checks that it
// is the kind and name it claims and speaks a contract version we speak.
func (m *Manager) Launch(ctx context.Context, c Candidate) (*Instance, error) {
	inst := &Instance{Candidate: c, stderr: newTailBuffer(20)}
	inst.cmd = exec.Command(c.Path)
	if c.Builtin {
		inst.cmd.Args = []string{c.Path, PluginArg, c.Kind, c.Name}
	}
	inst.client = plugin.NewClient(m.clientConfig(inst))
	if err := inst.connect(ctx); err != nil {
		inst.Close()
		return nil, err
	}
	return inst, nil
}

func (m *Manager) clientConfig(inst *Instance) *plugin.ClientConfig {
	// go-plugin's own log lines would repeat what our errors say: only
	// --log-level=debug shows them, with the plugins' stderr.
	level, out := hclog.Off, os.Stderr
	stderr := inst.stderr.writer(nil)
	if m.Debug {
		level = hclog.Debug
		stderr = inst.stderr.writer(os.Stderr)
	}
	return &plugin.ClientConfig{
		HandshakeConfig:  api.Handshake,
		VersionedPlugins: api.PluginSets(),
		Cmd:              inst.cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           hclog.New(&hclog.LoggerOptions{Name: "plugin", Level: level, Output: out}),
		Stderr:           stderr,
		SyncStderr:       stderr, // what the plugin writes to os.Stderr after Serve
		GRPCDialOptions: []grpc.DialOption{
			grpc.WithChainUnaryInterceptor(inst.unaryCrashInterceptor),
			grpc.WithChainStreamInterceptor(inst.streamCrashInterceptor),
		},
	}
}

func (inst *Instance) connect(ctx context.Context) error {
	rpc, err := inst.client.Client()
	if err != nil {
		return inst.startError(err)
	}
	raw, err := rpc.Dispense(inst.Kind)
	if err != nil {
		return fmt.Errorf("plugin %s does not serve the %s interface: %w", inst.Path, inst.Kind, err)
	}
	switch p := raw.(type) {
	case api.Storage:
		inst.Storage = p
		inst.Info, err = p.Info(ctx)
	case api.Isolation:
		inst.Isolation = p
		inst.Info, err = p.Info(ctx)
	}
	if err != nil {
		return fmt.Errorf("plugin %s failed to describe itself: %w", inst.Path, err)
	}
	return inst.checkInfo()
}

func (inst *Instance) startError(err error) error {
	msg := err.Error()
	if strings.Contains(msg, "Incompatible API version") {
		return api.Errorf(api.ErrFailedPrecondition, "install a plugin built against rrun's plugin SDK wire version 1",
			"plugin %s speaks another go-plugin wire version than rrun (%d): %s", inst.Path, api.WireVersion, msg)
	}
	return api.Errorf(api.ErrUnavailable, "run with --log-level=debug to see the plugin's output",
		"failed to start plugin %s: %s%s", inst.Path, msg, inst.stderr.suffix())
}

// checkInfo refuses a plugin whose Info does not match what was asked for or
// that speaks no contract version in common with this rrun.
func (inst *Instance) checkInfo() error {
	i := inst.Info
	if i.Kind != inst.Kind || i.Name != inst.Name {
		return api.Errorf(api.ErrFailedPrecondition, "rename the executable to rrun-"+i.Kind+"-"+i.Name,
			"plugin %s says it is %s/%s, not %s/%s", inst.Path, i.Kind, i.Name, inst.Kind, inst.Name)
	}
	if !slices.Contains(i.APIVersions, api.APIVersion) {
		return api.Errorf(api.ErrFailedPrecondition, "upgrade the plugin or rrun so that they share a contract version",
			"plugin %s speaks api versions %v, rrun speaks [%s]", inst.Path, i.APIVersions, api.APIVersion)
	}
	return nil
}

// Configure hands the plugin its configuration with the negotiated version.
func (inst *Instance) Configure(ctx context.Context, cfg api.Config) error {
	cfg.APIVersion = api.APIVersion
	var err error
	if inst.Storage != nil {
		err = inst.Storage.Configure(ctx, cfg)
	} else {
		err = inst.Isolation.Configure(ctx, cfg)
	}
	if err != nil {
		return fmt.Errorf("%s plugin %s refused its configuration: %w", inst.Kind, inst.Name, err)
	}
	return nil
}

// Abandon kills the plugin process without waiting for it: for the end of
// a session, whose pid namespace takes every process with it anyway.
func (inst *Instance) Abandon() {
	if inst.cmd.Process != nil {
		_ = inst.cmd.Process.Kill()
	}
}

// Close stops the plugin process gracefully and waits for it.
func (inst *Instance) Close() {
	if inst.client != nil {
		inst.client.Kill()
	}
}
