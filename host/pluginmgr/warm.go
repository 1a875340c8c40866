package pluginmgr

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"golang.org/x/sys/unix"
	"google.golang.org/grpc"

	"github.com/rrun-project/rrun/plugins/api"
)

// Warm plugins (see "Session holder" in docs/internal.md): a plugin started
// by a command in the holder's namespaces outlives it, serves later
// commands, which reattach over its unix socket, and exits on its own once
// no client was connected for the idle timeout.

// IdleTimeoutEnv tells a warm plugin how long to stay up without clients.
const IdleTimeoutEnv = "RRUN_PLUGIN_IDLE_TIMEOUT"

// warmRecord is KIND-NAME/warm.json: which process serves where, started
// from which binary, configured how.
type warmRecord struct {
	Version int    `json:"version"` // of this record's format
	Kind    string `json:"kind"`
	Name    string `json:"name"`
	PID     int    `json:"pid"`
	Start   uint64 `json:"start"`  // field 22 of /proc/PID/stat
	Binary  string `json:"binary"` // identity of the plugin's executable
	Key     string `json:"key"`    // the configuration it was given
	Addr    string `json:"addr"`   // its unix socket
}

// warmDir is KIND-NAME's dir for this holder: a plugin of an earlier
// holder lives in other namespaces (its mounts and its view of this
// process are not this session's) and serves that holder's containers
// until it is idle.
func (m *Manager) warmDir(c Candidate) string {
	return filepath.Join(m.RunDir, "plugins", "warm", nsTag()+"-"+c.Kind[:1]+"-"+c.Name)
}

// CanWarm reports whether c's socket path fits a unix socket address
// (go-plugin names it plugin + 10 digits); a longer run dir keeps plugins
// per command.
func (m *Manager) CanWarm(c Candidate) bool {
	return m.WarmIdle > 0 && len(m.warmDir(c))+len("/plugin0123456789") < 104
}

// nsTag names this process's user and mount namespaces, in 8 hex digits.
func nsTag() string {
	h := fnv.New32a()
	for _, ns := range []string{"user", "mnt"} {
		l, _ := os.Readlink("/proc/self/ns/" + ns) // "user:[4026531837]"
		h.Write([]byte(l))
	}
	return fmt.Sprintf("%08x", h.Sum32())
}

// removeDeadWarmDirs removes the dirs of warm plugins that are gone (of
// earlier holders), skipping any a command is using.
func removeDeadWarmDirs(parent, keep string) {
	entries, _ := os.ReadDir(parent)
	for _, e := range entries {
		dir := filepath.Join(parent, e.Name())
		if dir == keep {
			continue
		}
		if rec, ok := readWarm(dir); ok && processStart(rec.PID) == rec.Start {
			continue
		}
		f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_RDWR|unix.O_CLOEXEC, 0)
		if err != nil || unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) != nil {
			if f != nil {
				f.Close()
			}
			continue
		}
		_ = os.RemoveAll(dir) // best effort: the next sweep tries again
		f.Close()
	}
}

// Acquire returns a connection to the warm plugin c configured with key,
// starting one when none runs (or the one that runs is from another
// binary, another configuration, or does not answer). A plugin just
// started is configured with configure before any other command can
// reach it.
func (m *Manager) Acquire(ctx context.Context, c Candidate, key string, configure func(*Instance) error) (*Instance, error) {
	dir := m.warmDir(c)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("failed to create %s: %w", dir, err)
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	id, err := binaryID(c.Path)
	if err != nil {
		return nil, err
	}
	if rec, ok := readWarm(dir); ok && rec.Binary == id && rec.Key == key && processStart(rec.PID) == rec.Start {
		if inst, err := m.reattach(ctx, c, rec); err == nil {
			return inst, nil
		}
	}
	stopWarm(dir) // another binary, configuration, or a plugin that does not answer
	removeDeadWarmDirs(filepath.Dir(dir), dir)
	return m.startConfigured(ctx, c, dir, id, key, configure)
}

// startConfigured starts a warm plugin, configures it, and only then
// records it for other commands.
func (m *Manager) startConfigured(ctx context.Context, c Candidate, dir, id, key string, configure func(*Instance) error) (*Instance, error) {
	rec, err := m.startWarm(c, dir, id, key)
	if err != nil {
		return nil, err
	}
	inst, err := m.reattach(ctx, c, rec)
	if err == nil {
		if err = configure(inst); err != nil {
			inst.client.Kill()
		}
	}
	if err == nil {
		err = writeWarm(dir, rec)
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
	rec := warmRecord{Version: 1, Kind: c.Kind, Name: c.Name, PID: cmd.Process.Pid, Start: processStart(cmd.Process.Pid), Binary: id, Key: key, Addr: addr}
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

// reattach connects to a warm plugin with go-plugin's ReattachConfig in
// test mode: closing the client never stops the plugin.
func (m *Manager) reattach(ctx context.Context, c Candidate, rec warmRecord) (*Instance, error) {
	inst := &Instance{Candidate: c, stderr: newTailBuffer(20), timeout: m.startTimeout(), warmPID: rec.PID}
	inst.client = plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig: api.Handshake,
		Plugins:         api.PluginSets()[api.WireVersion], // reattached: no version negotiation
		Reattach: &plugin.ReattachConfig{Protocol: plugin.ProtocolGRPC, ProtocolVersion: api.WireVersion,
			Addr: &net.UnixAddr{Name: rec.Addr, Net: "unix"}, Pid: rec.PID, Test: true},
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           hclog.New(&hclog.LoggerOptions{Name: "plugin", Level: hclog.Off}),
		GRPCDialOptions: []grpc.DialOption{
			grpc.WithChainUnaryInterceptor(inst.unaryCrashInterceptor),
			grpc.WithChainStreamInterceptor(inst.streamCrashInterceptor),
		},
	})
	if err := inst.connect(ctx); err != nil {
		inst.client.Kill()
		return nil, err
	}
	return inst, nil
}

func readWarm(dir string) (warmRecord, bool) {
	var rec warmRecord
	data, err := os.ReadFile(filepath.Join(dir, "warm.json"))
	if err != nil || json.Unmarshal(data, &rec) != nil || rec.Version != 1 {
		return rec, false
	}
	return rec, true
}

func writeWarm(dir string, rec warmRecord) error {
	data, _ := json.Marshal(rec) // plain fields: cannot fail
	tmp := filepath.Join(dir, "warm.json.new")
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("failed to record the warm plugin: %w", err)
	}
	return os.Rename(tmp, filepath.Join(dir, "warm.json"))
}

// stopWarm kills the plugin dir's record names (if it still is that
// process) and forgets it; containers survive their isolation plugin.
func stopWarm(dir string) {
	if rec, ok := readWarm(dir); ok && rec.PID > 0 && processStart(rec.PID) == rec.Start {
		_ = unix.Kill(rec.PID, unix.SIGKILL) // checked just above that it is that process
	}
	_ = os.Remove(filepath.Join(dir, "warm.json")) // gone already: fine
	// The sockets of killed plugins: the dir holds at most the next one.
	old, _ := filepath.Glob(filepath.Join(dir, "plugin*"))
	for _, p := range old {
		_ = os.Remove(p) // gone already: fine
	}
}

// StopWarm stops every warm plugin of runDir (rrun system migrate).
func StopWarm(runDir string) int {
	entries, _ := os.ReadDir(filepath.Join(runDir, "plugins", "warm"))
	n := 0
	for _, e := range entries {
		dir := filepath.Join(runDir, "plugins", "warm", e.Name())
		if rec, ok := readWarm(dir); ok && processStart(rec.PID) == rec.Start {
			n++
		}
		stopWarm(dir)
	}
	return n
}

// WarmPlugins lists the warm plugins that run, as "KIND-NAME (pid N)".
func WarmPlugins(runDir string) []string {
	entries, _ := os.ReadDir(filepath.Join(runDir, "plugins", "warm"))
	var out []string
	for _, e := range entries {
		if rec, ok := readWarm(filepath.Join(runDir, "plugins", "warm", e.Name())); ok && processStart(rec.PID) == rec.Start {
			out = append(out, fmt.Sprintf("%s/%s (pid %d)", rec.Kind, rec.Name, rec.PID))
		}
	}
	return out
}

func lockDir(dir string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_CREATE|os.O_RDWR|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("failed to lock %s: %w", dir, err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("failed to lock %s: %w", dir, err)
	}
	return func() { f.Close() }, nil
}

// binaryID identifies an executable by device, inode, size and mtime.
func binaryID(path string) (string, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return "", fmt.Errorf("failed to stat plugin %s: %w", path, err)
	}
	return fmt.Sprintf("%d:%d:%d:%d", st.Dev, st.Ino, st.Size, st.Mtim.Nano()), nil
}

// processStart is field 22 of /proc/PID/stat; 0 for a pid gone or dead.
func processStart(pid int) uint64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	i := strings.LastIndexByte(string(data), ')')
	f := strings.Fields(string(data[i+1:]))
	if i < 0 || len(f) < 20 || f[0] == "Z" || f[0] == "X" {
		return 0
	}
	v, _ := strconv.ParseUint(f[19], 10, 64)
	return v
}
