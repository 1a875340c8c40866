package pluginmgr

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/go-plugin"
	"golang.org/x/sys/unix"
	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/rrun-project/rrun/host/proc"
	"github.com/rrun-project/rrun/host/trace"
	"github.com/rrun-project/rrun/plugins/api"
)

// Warm plugins (see "Session holder" in docs/internal.md): a plugin started
// by a command in the holder's namespaces outlives it, serves later
// commands, which reattach over its unix socket, and exits on its own once
// no client was connected for the idle timeout.

// IdleTimeoutEnv tells a warm plugin how long to stay up without clients.
const IdleTimeoutEnv = "RRUN_PLUGIN_IDLE_TIMEOUT"

// warmDir is KIND-NAME's dir for this holder and these resource limits: a
// plugin of an earlier holder lives in other namespaces (its mounts and its
// view of this process are not this session's) and serves that holder's
// containers until it is idle; a plugin started by a command with other
// limits (a shell's ulimit) would give them to the containers it starts.
func (m *Manager) warmDir(c Candidate) string {
	return filepath.Join(m.RunDir, "plugins", "warm", m.tag()+"-"+c.Kind[:1]+"-"+c.Name)
}

// CanWarm reports whether c's socket path fits a unix socket address
// (go-plugin names it plugin + 10 digits); a longer run dir keeps plugins
// per command.
func (m *Manager) CanWarm(c Candidate) bool {
	if m.PrivateIsolation && c.Kind == api.KindIsolation {
		return false
	}
	return m.WarmIdle > 0 && len(m.warmDir(c))+len("/plugin0123456789") < 104
}

// Acquire returns a connection to the warm plugin c configured with key,
// starting one when none runs (or the one that runs is from another
// binary, another configuration, or does not answer). A plugin just
// started is configured with configure before any other command can
// reach it.
func (m *Manager) Acquire(ctx context.Context, c Candidate, key string, configure func(*Instance) error) (*Instance, error) {
	dir := m.warmDir(c)
	unlock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	id, err := binaryID(c.Path)
	if err != nil {
		return nil, err
	}
	if rec, ok := readWarm(dir); ok && rec.Binary == id && rec.Key == key && proc.Start(rec.PID) == rec.Start {
		if inst := takeParked(dir, rec); inst != nil {
			return inst, nil
		}
		if inst, err := m.reattach(ctx, c, dir, rec); err == nil {
			return inst, nil
		}
		trace.Mark(c.Kind + " plugin did not answer")
	}
	stopWarm(dir) // another binary, configuration, or a plugin that does not answer
	m.removeDeadWarmDirs(filepath.Dir(dir))
	return m.startConfigured(ctx, c, dir, id, key, configure)
}

// startConfigured starts a warm plugin, configures it, and only then
// records it for other commands.
func (m *Manager) startConfigured(ctx context.Context, c Candidate, dir, id, key string, configure func(*Instance) error) (*Instance, error) {
	rec, err := m.startWarm(c, dir, id, key)
	if err != nil {
		return nil, err
	}
	inst, err := m.attach(ctx, c, dir, rec)
	if err == nil {
		err = inst.describe(ctx)
	}
	if err == nil {
		err = configure(inst)
	}
	if err == nil {
		info := inst.Info
		rec.Info = &info
		err = writeWarm(dir, rec)
	}
	if err != nil && inst != nil {
		inst.closeWarm()
	}
	if err != nil {
		_ = unix.Kill(rec.PID, unix.SIGKILL) // started above, never recorded
		return nil, err
	}
	return inst, nil
}

// startWarm starts c in its own session, with its log in dir/stderr.log,
// reads go-plugin's handshake line and records where it serves.
func (m *Manager) startWarm(c Candidate, dir, id, key string) (warmRecord, error) {
	cmd := exec.Command(c.Path)
	if c.Builtin {
		cmd.Args = []string{c.Path, PluginArg, c.Kind, c.Name}
	}
	cmd.Env = append(os.Environ(), api.Handshake.MagicCookieKey+"="+api.Handshake.MagicCookieValue,
		"PLUGIN_PROTOCOL_VERSIONS="+strconv.Itoa(api.WireVersion), "PLUGIN_UNIX_SOCKET_DIR="+dir,
		IdleTimeoutEnv+"="+m.WarmIdle.String())
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // it outlives this command
	logf, err := os.OpenFile(filepath.Join(dir, "stderr.log"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return warmRecord{}, err
	}
	defer logf.Close()
	cmd.Stderr = logf
	out, err := cmd.StdoutPipe()
	if err != nil {
		return warmRecord{}, err
	}
	if err := cmd.Start(); err != nil {
		return warmRecord{}, fmt.Errorf("failed to start plugin %s: %w", c.Path, err)
	}
	addr, err := readHandshake(out, m.startTimeout())
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return warmRecord{}, fmt.Errorf("plugin %s did not start: %w (see %s)", c.Path, err, logf.Name())
	}
	rec := warmRecord{Version: warmVersion, Kind: c.Kind, Name: c.Name, PID: cmd.Process.Pid, Start: proc.Start(cmd.Process.Pid), Binary: id, Key: key, Addr: addr}
	_ = cmd.Process.Release() // it is not this command's to wait for
	return rec, nil
}

// readHandshake reads go-plugin's line CORE|APP|unix|ADDR|grpc|...
func readHandshake(out interface{ Read([]byte) (int, error) }, timeout time.Duration) (string, error) {
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(out).ReadString('\n')
		line <- s
	}()
	select {
	case s := <-line:
		f := strings.Split(strings.TrimSpace(s), "|")
		if len(f) < 5 || f[2] != "unix" || f[4] != "grpc" {
			return "", fmt.Errorf("unexpected handshake %q", s)
		}
		return f[3], nil
	case <-time.After(timeout):
		return "", fmt.Errorf("no handshake within %s", timeout)
	}
}

// reattach connects to the warm plugin rec names. Its Info is the one it
// gave when it was started: the same process (pid and start time) of the
// same binary answers the same, so no Info call is made again.
func (m *Manager) reattach(ctx context.Context, c Candidate, dir string, rec warmRecord) (*Instance, error) {
	if rec.Info == nil {
		return nil, fmt.Errorf("the record of plugin %s has no info", c.Path)
	}
	inst, err := m.attach(ctx, c, dir, rec)
	if err != nil {
		return nil, err
	}
	inst.Info = *rec.Info
	if err := inst.checkInfo(); err != nil {
		inst.closeWarm()
		return nil, err
	}
	return inst, nil
}

// attach dials the warm plugin's socket with gRPC (go-plugin's client is
// not needed: the plugin outlives this command, its stdio is its log file,
// and nothing uses its broker) and waits until the connection is up, so a
// plugin that exited or hangs is found here, under the dir's lock, where
// Acquire can still replace it (see api's idle exit).
func (m *Manager) attach(ctx context.Context, c Candidate, dir string, rec warmRecord) (*Instance, error) {
	inst := &Instance{Candidate: c, stderr: newTailBuffer(20), timeout: m.startTimeout(), warmPID: rec.PID, mgr: m, dir: dir, rec: rec}
	inst.connFd.Store(-1)
	dial := func(ctx context.Context, _ string) (net.Conn, error) {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "unix", rec.Addr)
		if err == nil {
			inst.connFd.Store(int32(connFdOf(conn)))
		}
		return conn, err
	}
	conn, err := grpc.NewClient("passthrough:///warm-plugin",
		grpc.WithContextDialer(dial),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(math.MaxInt32), grpc.MaxCallSendMsgSize(math.MaxInt32)),
		grpc.WithChainUnaryInterceptor(inst.unaryCrashInterceptor),
		grpc.WithChainStreamInterceptor(inst.streamCrashInterceptor))
	if err != nil {
		return nil, fmt.Errorf("failed to connect to plugin %s: %w", c.Path, err)
	}
	inst.conn = conn
	readyCtx, cancel := context.WithTimeout(ctx, inst.timeout)
	defer cancel()
	if err := waitReady(readyCtx, conn); err != nil {
		conn.Close()
		// Named as startError names a plugin that failed to start: a
		// plugin whose handshake gave an address nobody serves (it
		// exited, or it serves elsewhere) is found here or by its Info
		// call, whichever comes first.
		what := "does not answer at"
		if st, ok := proc.Read(rec.PID); !ok || !st.Live() {
			what = "exited, and nothing serves"
		}
		return nil, api.Errorf(api.ErrUnavailable, "run it by hand to see why; add --log-level=debug to see its log",
			"%s plugin %s (%s, pid %d) %s the address of its go-plugin handshake (%s): %v", c.Kind, c.Name, c.Path, rec.PID, what, rec.Addr, err)
	}
	p, ok := api.PluginSets()[api.WireVersion][c.Kind].(plugin.GRPCPlugin)
	if !ok {
		conn.Close()
		return nil, fmt.Errorf("no client for plugins of kind %s", c.Kind)
	}
	raw, err := p.GRPCClient(ctx, nil, conn) // rrun's clients take no broker
	if err != nil {
		conn.Close()
		return nil, err
	}
	inst.use(raw)
	return inst, nil
}

// waitReady connects conn and waits until it is ready; a connection that
// fails once is an error (the plugin is gone), not retried.
func waitReady(ctx context.Context, conn *grpc.ClientConn) error {
	conn.Connect()
	for {
		s := conn.GetState()
		switch s {
		case connectivity.Ready:
			return nil
		case connectivity.TransientFailure, connectivity.Shutdown:
			return fmt.Errorf("connection %s", s)
		}
		if !conn.WaitForStateChange(ctx, s) {
			return ctx.Err()
		}
	}
}

// closeWarm closes the connection to a warm plugin (which goes on).
func (inst *Instance) closeWarm() {
	if inst.conn != nil && !park(inst) {
		_ = inst.conn.Close() // only fails when closed already
	}
}

// Warm reports whether inst is a warm plugin: a process that outlives this
// command, so work it finishes after answering is not cut short when the
// command ends.
func (inst *Instance) Warm() bool { return inst.warmPID != 0 }
