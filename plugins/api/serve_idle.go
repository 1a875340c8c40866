package api

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/stats"
)

// A warm plugin (started by rrun with RRUN_PLUGIN_IDLE_TIMEOUT) serves
// several rrun commands, one after the other or at once, and exits once
// no client has been connected for that long. Only processes of the
// plugin's own uid may connect (SO_PEERCRED), besides the 0700 run dir.

const idleTimeoutEnv = "RRUN_PLUGIN_IDLE_TIMEOUT"

// grpcServer is go-plugin's GRPCServer with the peer check, and the idle
// exit when rrun asked for one.
func grpcServer(opts []grpc.ServerOption) *grpc.Server {
	creds := peerCreds{}
	if idle, err := time.ParseDuration(os.Getenv(idleTimeoutEnv)); err == nil && idle > 0 {
		t := &idleTracker{last: time.Now()}
		creds.idle = t
		opts = append(opts, grpc.StatsHandler(t))
		go t.exitWhenIdle(idle, os.Getenv("PLUGIN_UNIX_SOCKET_DIR"))
	}
	return grpc.NewServer(append(opts, grpc.Creds(creds))...)
}

// WarmProcess reports whether this plugin process was started warm (with
// an idle timeout): it serves later commands, so work done now for them
// (a spare root filesystem, say) is not lost when this command ends.
func WarmProcess() bool {
	idle, err := time.ParseDuration(os.Getenv(idleTimeoutEnv))
	return err == nil && idle > 0
}

// pendingWork counts what a plugin finishes after it answered (KeepAlive).
var pendingWork atomic.Int64

// KeepAlive keeps a warm plugin from exiting idle until done is called:
// for work a backend finishes after it answered, such as a
// BackgroundRemover's removal. done may be called more than once.
func KeepAlive() (done func()) {
	pendingWork.Add(1)
	var once sync.Once
	return func() { once.Do(func() { pendingWork.Add(-1) }) }
}

// idleTracker counts the open client connections.
type idleTracker struct {
	mu    sync.Mutex
	conns int
	last  time.Time // when the last connection closed
}

// exitWhenIdle ends the plugin once it had no client for idle, or at once
// when its socket dir is gone (rrun's run dir was removed).
//
// rrun attaches to a warm plugin under the flock of SOCKETDIR/lock and
// holds it until its connection is up, which counts as activity here
// (peerCreds): so the plugin exits only holding that lock, after looking
// once more. A command then either waits for the lock and finds the
// plugin gone, or is a client the plugin counted; it never attaches to a
// plugin on its way out (it no longer asks for Info to find out).
func (t *idleTracker) exitWhenIdle(idle time.Duration, socketDir string) {
	for {
		time.Sleep(min(idle, 250*time.Millisecond))
		if _, err := os.Stat(socketDir); socketDir != "" && err != nil {
			os.Exit(0)
		}
		if t.quiet(idle) {
			t.exitLocked(idle, socketDir)
		}
	}
}

// quiet reports whether no client was connected for idle and no work is
// pending.
func (t *idleTracker) quiet(idle time.Duration) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.conns == 0 && time.Since(t.last) >= idle && pendingWork.Load() == 0
}

// exitLocked exits, still quiet, holding the flock of SOCKETDIR/lock when
// there is one; it returns when a client holds the lock or came meanwhile.
func (t *idleTracker) exitLocked(idle time.Duration, socketDir string) {
	f, err := os.OpenFile(filepath.Join(socketDir, "lock"), os.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		os.Exit(0) // no lock to respect: a plugin of another rrun
	}
	if unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) == nil && t.quiet(idle) {
		os.Exit(0) // the kernel drops the lock with this process
	}
	f.Close()
}

// active records a connection that is being set up: it counts as activity
// before gRPC counts it as open.
func (t *idleTracker) active() {
	t.mu.Lock()
	t.last = time.Now()
	t.mu.Unlock()
}

func (t *idleTracker) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }
func (t *idleTracker) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context   { return ctx }
func (t *idleTracker) HandleRPC(context.Context, stats.RPCStats)                         {}

// HandleConn implements stats.Handler: it counts connections.
func (t *idleTracker) HandleConn(_ context.Context, s stats.ConnStats) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch s.(type) {
	case *stats.ConnBegin:
		t.conns++
	case *stats.ConnEnd:
		t.conns--
		t.last = time.Now()
	}
}

// peerCreds is a credentials.TransportCredentials that checks, on a unix
// socket, that the peer runs as this process's uid; it encrypts nothing.
// With idle set, every accepted peer counts as activity.
type peerCreds struct{ idle *idleTracker }

// ServerHandshake refuses a peer of another uid.
func (p peerCreds) ServerHandshake(c net.Conn) (net.Conn, credentials.AuthInfo, error) {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return c, peerInfo{}, nil
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return nil, nil, err
	}
	var cred *unix.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) { cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED) }); err != nil {
		return nil, nil, err
	}
	if cerr != nil {
		return nil, nil, cerr
	}
	if int(cred.Uid) != os.Getuid() {
		c.Close()
		return nil, nil, fmt.Errorf("refused a client of uid %d (pid %d): this plugin serves uid %d only", cred.Uid, cred.Pid, os.Getuid())
	}
	if p.idle != nil {
		p.idle.active() // before the server's settings reach the client
	}
	return c, peerInfo{}, nil
}

// ClientHandshake is not used: rrun dials plugins without credentials.
func (peerCreds) ClientHandshake(_ context.Context, _ string, c net.Conn) (net.Conn, credentials.AuthInfo, error) {
	return c, peerInfo{}, nil
}
func (peerCreds) Info() credentials.ProtocolInfo {
	return credentials.ProtocolInfo{SecurityProtocol: "peercred"}
}
func (p peerCreds) Clone() credentials.TransportCredentials { return p }
func (peerCreds) OverrideServerName(string) error           { return nil }

type peerInfo struct{ credentials.CommonAuthInfo }

func (peerInfo) AuthType() string { return "peercred" }
