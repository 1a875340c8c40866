package api

import (
	"context"
	"fmt"
	"net"
	"os"
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
	opts = append(opts, grpc.Creds(peerCreds{}))
	if idle, err := time.ParseDuration(os.Getenv(idleTimeoutEnv)); err == nil && idle > 0 {
		t := &idleTracker{last: time.Now()}
		opts = append(opts, grpc.StatsHandler(t))
		go t.exitWhenIdle(idle, os.Getenv("PLUGIN_UNIX_SOCKET_DIR"))
	}
	return grpc.NewServer(opts...)
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
func (t *idleTracker) exitWhenIdle(idle time.Duration, socketDir string) {
	for {
		time.Sleep(min(idle, 250*time.Millisecond))
		t.mu.Lock()
		quiet := t.conns == 0 && time.Since(t.last) >= idle && pendingWork.Load() == 0
		t.mu.Unlock()
		if _, err := os.Stat(socketDir); quiet || (socketDir != "" && err != nil) {
			os.Exit(0)
		}
	}
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
type peerCreds struct{}

// ServerHandshake refuses a peer of another uid.
func (peerCreds) ServerHandshake(c net.Conn) (net.Conn, credentials.AuthInfo, error) {
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
	return c, peerInfo{}, nil
}

// ClientHandshake is not used: rrun dials plugins without credentials.
func (peerCreds) ClientHandshake(_ context.Context, _ string, c net.Conn) (net.Conn, credentials.AuthInfo, error) {
	return c, peerInfo{}, nil
}
func (peerCreds) Info() credentials.ProtocolInfo {
	return credentials.ProtocolInfo{SecurityProtocol: "peercred"}
}
func (peerCreds) Clone() credentials.TransportCredentials { return peerCreds{} }
func (peerCreds) OverrideServerName(string) error         { return nil }

type peerInfo struct{ credentials.CommonAuthInfo }

func (peerInfo) AuthType() string { return "peercred" }
