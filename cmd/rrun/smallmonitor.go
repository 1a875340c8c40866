package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/host/config"
	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/host/monitor"
	"github.com/rrun-project/rrun/host/monitor/handoff"
	"github.com/rrun-project/rrun/host/network"
	"github.com/rrun-project/rrun/host/pluginmgr"
	"github.com/rrun-project/rrun/host/state"
)

// The detached monitor's hand-off to rrun-monitor, and the two verbs
// rrun-monitor calls back (docs/internal.md, "The small monitor of a
// detached container").

// monitorOwnerFD is the owner lock's fd this monitor inherited (-1: none).
var monitorOwnerFD = -1

// smallMonitor is rrun-monitor's path when this monitor hands off.
var smallMonitor string

// privateIsolation makes newManager keep the isolation plugin a child of
// this process (pluginmgr.Manager.PrivateIsolation).
var privateIsolation bool

// policyState is the --restart policy's count and back-off so far, passed
// through rrun-monitor to the --resume that follows.
var policyState struct {
	retries int
	delay   time.Duration
}

// smallMonitorPath finds rrun-monitor as the native backend finds
// rrun-nsinit: $RRUN_MONITOR, next to rrun, then the system dirs.
func smallMonitorPath() string {
	candidates := []string{os.Getenv("RRUN_MONITOR")}
	if exe, err := os.Executable(); err == nil {
		candidates = append(candidates, filepath.Join(filepath.Dir(exe), "rrun-monitor"))
	}
	candidates = append(candidates, "/usr/local/libexec/rrun/rrun-monitor", "/usr/libexec/rrun/rrun-monitor")
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if st, err := os.Stat(c); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return c
		}
	}
	return ""
}

// wantsHandoff reports whether this detached monitor gives its container
// to rrun-monitor: on the warm path, without UDP ports relayed by this
// process (relaysUDP), when rrun-monitor is installed.
func wantsHandoff(attach bool, udpRelays bool) (string, bool) {
	if attach || udpRelays || os.Getenv("RRUN_SMALL_MONITOR") == "0" || monitorOwnerFD < 0 || monitorStays {
		return "", false
	}
	path := smallMonitorPath()
	if path == "" {
		fmt.Fprintln(os.Stderr, "rrun: warning: rrun-monitor not found next to rrun (make build); the monitor stays resident")
	}
	return path, path != ""
}

// monitorStays keeps this process the container's monitor to its end, as
// RRUN_SMALL_MONITOR=0 does: a Slurm step's prepare (slurmPrepare), where
// two starts of the rrun binary per step and node (an isolation plugin of
// the monitor's own, and the --resume after rrun-monitor) cost more than
// the ~5 MB the resident monitor keeps for the step's length.
var monitorStays bool

// relaysUDP reports whether the monitor of a warm container on net relays
// its published UDP ports itself (pasta's, see session.AttachNetwork):
// those relays live in the big monitor, which then stays.
func relaysUDP(net *network.Plan) bool {
	if net == nil || net.Mode != network.ModePasta {
		return false
	}
	_, udp := net.WithoutUDP()
	return len(udp) > 0
}

// execSmallMonitor replaces this process with rrun-monitor (same pid:
// child subreaper of the init, holder of the owner lock).
func execSmallMonitor(path string) monitor.Handoff {
	return func(st handoff.State) error {
		self, err := os.Executable()
		if err != nil {
			return err
		}
		st.Rrun = append([]string{self}, globalArgs()...)
		st.Owner = monitorOwnerFD
		st.Restarts = fmt.Sprintf("%d %d", policyState.retries, policyState.delay.Milliseconds())
		if _, err := unix.FcntlInt(uintptr(st.Owner), unix.F_SETFD, 0); err != nil {
			return fmt.Errorf("failed to pass the owner lock: %w", err)
		}
		env := append(os.Environ(), handoff.Env+"="+st.Encode())
		return syscall.Exec(path, []string{"rrun-monitor", st.ID}, env)
	}
}

// readPolicyState reads what execSmallMonitor passed on.
func readPolicyState() (retries int, delay time.Duration) {
	f := strings.Fields(os.Getenv(handoff.RestartsEnv))
	os.Unsetenv(handoff.RestartsEnv)
	if len(f) == 2 {
		retries, _ = strconv.Atoi(f[0])
		ms, _ := strconv.Atoi(f[1])
		delay = time.Duration(ms) * time.Millisecond
	}
	return retries, delay
}

// resumeMonitor is `rrun __monitor ID --resume CODE`: the container
// rrun-monitor owned exited with code; record it, release it, and apply
// the restart policy (which may run it again under this process).
func resumeMonitor(cfg config.Config, store *state.Store, rec state.Record, code int) error {
	listener := -1
	if fd, err := strconv.Atoi(os.Getenv(handoff.ListenerFDEnv)); err == nil {
		listener = fd
		unix.CloseOnExec(fd)
	}
	os.Unsetenv(handoff.ListenerFDEnv)
	retries, delay := readPolicyState()
	net, err := network.Load(store.Dir(rec.ID))
	if err != nil {
		return err
	}
	// Only a restart starts a new init, which must be this monitor's
	// descendant (a restart hands off again); finishing a container (its
	// status, --rm) takes the warm plugin, one process start less.
	if policy, _ := container.ParseRestart(rec.Options.Restart); policy.Name != "no" {
		privateIsolation, smallMonitor = true, smallMonitorPath()
	}
	return inSessionWith(cfg, needs{storage: true, isolation: true}, func(ctx context.Context, mgr *pluginmgr.Manager, b *container.Backends) error {
		deps := monitorDeps(cfg, store, mgr, b, net, false)
		first := func() (int, error) { return code, monitor.Resume(ctx, deps, rec.ID, code, listener) }
		code, err := runWithPolicyFrom(ctx, deps, rec, false, func(error) {}, first, retries, delay)
		if err != nil {
			return err
		}
		if code != 0 {
			return exitCode(code)
		}
		return nil
	})
}

// deleteRemoved deletes, through the (warm) isolation plugin, the container
// rrun-monitor owned whose record `rm -f` removed as it exited.
func deleteRemoved(cfg config.Config, id string) error {
	if fd, err := strconv.Atoi(os.Getenv(handoff.ListenerFDEnv)); err == nil {
		defer unix.Close(fd)
	}
	return inSessionWith(cfg, needs{isolation: true}, func(ctx context.Context, _ *pluginmgr.Manager, b *container.Backends) error {
		return b.Isolation.Delete(ctx, id)
	})
}

// execDelegate is `rrun __monitor ID --exec`: rrun-monitor passed an exec
// request's connection (fd 3) and its fds (4...).
func execDelegate(cfg config.Config, store *state.Store, rec state.Record) error {
	req := os.Getenv(handoff.ExecRequestEnv)
	n, _ := strconv.Atoi(os.Getenv(handoff.ExecFDsEnv))
	os.Unsetenv(handoff.ExecRequestEnv)
	os.Unsetenv(handoff.ExecFDsEnv)
	fds := make([]int, n)
	for i := range fds {
		fds[i] = 4 + i
		unix.CloseOnExec(4 + i)
	}
	// Close fd 3 through its *os.File: a raw close would leave the File's
	// finalizer to close fd 3 again later, by then the console socket's
	// listener (exec -it was refused its terminal).
	f := os.NewFile(3, "exec-conn")
	c, err := net.FileConn(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("failed to adopt the exec connection: %w", err)
	}
	conn, ok := c.(*net.UnixConn)
	if !ok {
		return fmt.Errorf("the exec connection is not a unix socket")
	}
	defer conn.Close()
	return inSessionWith(cfg, needs{isolation: true}, func(ctx context.Context, mgr *pluginmgr.Manager, b *container.Backends) error {
		return monitor.ServeExec(ctx, detachedDeps(cfg, store, mgr, b), rec.ID, conn, []byte(req), fds)
	})
}
