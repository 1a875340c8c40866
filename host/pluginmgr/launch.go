package pluginmgr

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/go-plugin/runner"
	"google.golang.org/grpc"

	"github.com/rrun-project/rrun/plugins/api"
)

// Instance is one running plugin process.
type Instance struct {
	Candidate
	Info      api.PluginInfo
	Storage   api.Storage   // set for storage plugins
	Isolation api.Isolation // set for isolation plugins

	client  *plugin.Client   // nil for a warm plugin
	conn    *grpc.ClientConn // a warm plugin's connection
	proc    *procRunner      // nil for a warm plugin
	warmPID int              // a warm plugin's process, not this command's child
	stderr  *tailBuffer
	timeout time.Duration // for the handshake

	// A warm plugin's connection, for parking it (park.go): the manager
	// and dir it was acquired with, the record it was attached to, and
	// its fd (-1 until dialed).
	mgr    *Manager
	dir    string
	rec    warmRecord
	connFd atomic.Int32
}

// Launch starts the plugin, does the go-plugin handshake, and checks that it
// is the kind and name it claims and speaks a contract version we speak.
// A plugin that does not complete the handshake within m.StartTimeout, or
// prints something else, is killed and reported in one line.
func (m *Manager) Launch(ctx context.Context, c Candidate) (*Instance, error) {
	inst := &Instance{Candidate: c, stderr: newTailBuffer(20), timeout: m.startTimeout()}
	cmd := exec.Command(c.Path)
	// A plugin ends with the command that launched it: a joined command
	// has no pid namespace to take its plugins along (the container, a
	// grandchild, survives, as the contract requires).
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if c.Builtin {
		cmd.Args = []string{c.Path, PluginArg, c.Kind, c.Name}
	}
	inst.proc = &procRunner{cmd: cmd, stderr: inst.stderr.writer(m.debugOut()), exited: make(chan struct{})}
	inst.client = plugin.NewClient(m.clientConfig(inst))
	if err := inst.connect(ctx); err != nil {
		inst.Close()
		return nil, err
	}
	return inst, nil
}

func (m *Manager) startTimeout() time.Duration {
	if m.StartTimeout > 0 {
		return m.StartTimeout
	}
	return DefaultStartTimeout
}

// debugOut is where the plugins' stderr is copied besides the tail buffer:
// only --log-level=debug shows it.
func (m *Manager) debugOut() io.Writer {
	if m.Debug {
		return os.Stderr
	}
	return nil
}

func (m *Manager) clientConfig(inst *Instance) *plugin.ClientConfig {
	// go-plugin's own log lines would repeat what our errors say: only
	// --log-level=debug shows them.
	level := hclog.Off
	if m.Debug {
		level = hclog.Debug
	}
	return &plugin.ClientConfig{
		HandshakeConfig:  api.Handshake,
		VersionedPlugins: api.PluginSets(),
		RunnerFunc:       inst.runner,
		StartTimeout:     inst.timeout,
		UnixSocketConfig: &plugin.UnixSocketConfig{TempDir: m.socketParent()},
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           hclog.New(&hclog.LoggerOptions{Name: "plugin", Level: level, Output: os.Stderr}),
		SyncStderr:       inst.stderr.writer(m.debugOut()), // what the plugin writes to os.Stderr after Serve
		GRPCDialOptions: []grpc.DialOption{
			grpc.WithChainUnaryInterceptor(inst.unaryCrashInterceptor),
			grpc.WithChainStreamInterceptor(inst.streamCrashInterceptor),
		},
	}
}

// runner is go-plugin's RunnerFunc: cmd carries the environment go-plugin
// made for the plugin (cookie, PLUGIN_UNIX_SOCKET_DIR=socketDir).
func (inst *Instance) runner(_ hclog.Logger, cmd *exec.Cmd, socketDir string) (runner.Runner, error) {
	inst.proc.cmd.Env = cmd.Env
	inst.proc.cmd.Stdin = cmd.Stdin
	inst.proc.socketDir = socketDir
	inst.proc.owner = lockSocketDir(socketDir)
	return inst.proc, nil
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
	inst.use(raw)
	return inst.describe(ctx)
}

// use keeps the dispensed client of inst's kind.
func (inst *Instance) use(raw any) {
	switch p := raw.(type) {
	case api.Storage:
		inst.Storage = p
	case api.Isolation:
		inst.Isolation = p
	}
}

// describe asks the plugin for its Info and checks it. A plugin that
// accepts the connection but never answers must not hang rrun either.
func (inst *Instance) describe(ctx context.Context) error {
	infoCtx, cancel := context.WithTimeout(ctx, inst.timeout)
	defer cancel()
	var err error
	switch {
	case inst.Storage != nil:
		inst.Info, err = inst.Storage.Info(infoCtx)
	case inst.Isolation != nil:
		inst.Info, err = inst.Isolation.Info(infoCtx)
	}
	if err != nil {
		return fmt.Errorf("plugin %s failed to describe itself: %w", inst.Path, err)
	}
	return inst.checkInfo()
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

// Pid is the plugin process this command started (0 for a warm plugin).
func (inst *Instance) Pid() int {
	if inst.proc == nil {
		return 0
	}
	return inst.proc.pid()
}

// Abandon kills the plugin process without waiting for it: for the end of
// a session, whose pid namespace takes every process with it anyway. Its
// socket goes too.
func (inst *Instance) Abandon() {
	if inst.proc == nil {
		inst.closeWarm() // a warm plugin: only the connection closes
		return
	}
	_ = inst.proc.Kill(context.Background()) // only fails for a process already gone
	inst.removeSocketDir()
}

// Close stops the plugin process gracefully, waits for it, and removes
// its socket.
func (inst *Instance) Close() {
	if inst.proc == nil {
		inst.closeWarm() // a warm plugin is not stopped
		return
	}
	inst.client.Kill()
	inst.removeSocketDir()
}

// removeSocketDir removes the directory that holds the plugin's socket
// (go-plugin's Kill removes it too, but not for a plugin that never
// started, and Abandon does not call Kill).
func (inst *Instance) removeSocketDir() {
	if inst.proc.socketDir != "" {
		_ = os.RemoveAll(inst.proc.socketDir) // in our private run dir; a leftover costs nothing
	}
	if inst.proc.owner != nil {
		inst.proc.owner.Close()
		inst.proc.owner = nil
	}
}
