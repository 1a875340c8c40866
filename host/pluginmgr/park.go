package pluginmgr

import (
	"context"
	"net"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc/connectivity"

	"github.com/rrun-project/rrun/host/trace"
)

// Parked connections (see "Kept plugin connections" in docs/internal.md,
// Pre-started commands): a pool process that serves command after command
// keeps its connections to the warm plugins between them, so a command
// does not pay a new gRPC connection per plugin (~1-2 ms of CPU on each
// side, on its critical path). Only connections whose fd is at or above
// the pool's fd limit are kept: the next client's fds are put at the
// numbers below it. A connection made during a command is below it, so it
// is closed as before and made again (Redial) once the pool process holds
// those numbers again. A parked connection keeps its plugin from exiting
// idle: it is closed once no command took it for parkLinger.

// parkLinger is how long a parked connection waits for a command (at most
// the plugins' idle timeout).
const parkLinger = 5 * time.Second

// redialTimeout bounds a Redial's wait for a plugin (a client may be
// waiting for this pool process to accept it).
const redialTimeout = time.Second

var parking struct {
	mu     sync.Mutex
	minFd  int                  // 0: this process parks nothing
	parked map[string]*Instance // by warm dir
	redial []*Instance          // closed because their fd was too low: to make again
	timer  *time.Timer
	linger time.Duration
}

// ParkConnections makes this process keep its warm plugin connections
// whose fd is minFd or above between commands.
func ParkConnections(minFd int) {
	parking.mu.Lock()
	defer parking.mu.Unlock()
	parking.minFd = minFd
	if parking.parked == nil {
		parking.parked = map[string]*Instance{}
	}
}

// takeParked returns the parked connection to the plugin rec names, if
// one is up; a parked connection to another process is closed.
func takeParked(dir string, rec warmRecord) *Instance {
	parking.mu.Lock()
	inst := parking.parked[dir]
	delete(parking.parked, dir)
	parking.mu.Unlock()
	if inst == nil {
		return nil
	}
	if !inst.rec.same(rec) || inst.conn.GetState() != connectivity.Ready {
		inst.conn.Close()
		return nil
	}
	trace.Mark(inst.Kind + " plugin connection kept")
	return inst
}

// park keeps inst's connection for the next command, or remembers to make
// one that can be kept (Redial); false when this process parks nothing.
func park(inst *Instance) bool {
	parking.mu.Lock()
	defer parking.mu.Unlock()
	if parking.minFd == 0 || inst.conn == nil || inst.mgr == nil {
		return false
	}
	if int(inst.connFd.Load()) < parking.minFd {
		parking.redial = append(parking.redial, inst)
		return false
	}
	if old := parking.parked[inst.dir]; old != nil && old != inst {
		old.conn.Close()
	}
	parking.parked[inst.dir] = inst
	parking.linger = min(parkLinger, inst.mgr.WarmIdle)
	if parking.timer == nil {
		parking.timer = time.AfterFunc(parking.linger, dropParked)
	} else {
		parking.timer.Reset(parking.linger)
	}
	return true
}

// Redial connects again to the warm plugins whose connections the last
// command closed because they could not be kept; called between commands,
// when the fds below the pool's limit are held, so that the new ones are
// above it.
func Redial() {
	parking.mu.Lock()
	closed := parking.redial
	parking.redial = nil
	parking.mu.Unlock()
	for _, old := range closed {
		if rec, ok := readWarm(old.dir); !ok || !rec.same(old.rec) {
			continue // replaced or gone since
		}
		ctx, cancel := context.WithTimeout(context.Background(), redialTimeout)
		inst, err := old.mgr.attach(ctx, old.Candidate, old.dir, old.rec)
		cancel()
		if err != nil {
			continue
		}
		inst.Info = old.Info // checked when old was attached
		if !park(inst) {
			inst.conn.Close()
		}
	}
}

// dropParked closes the parked connections, so that their plugins may
// exit idle.
func dropParked() {
	parking.mu.Lock()
	defer parking.mu.Unlock()
	for dir, inst := range parking.parked {
		inst.conn.Close()
		delete(parking.parked, dir)
	}
}

// same reports whether r and o name the same plugin process, configured
// the same, at the same socket.
func (r warmRecord) same(o warmRecord) bool {
	return r.PID == o.PID && r.Start == o.Start && r.Binary == o.Binary && r.Key == o.Key && r.Addr == o.Addr
}

// connFdOf is the fd of a dialed unix connection (-1 if unknown).
func connFdOf(c net.Conn) int {
	fd := -1
	if sc, ok := c.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			_ = raw.Control(func(f uintptr) { fd = int(f) })
		}
	}
	return fd
}
