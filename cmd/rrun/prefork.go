package main

import (
	"encoding/binary"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/host/pluginmgr"
	"github.com/rrun-project/rrun/host/session"
	"github.com/rrun-project/rrun/host/session/join"
	"github.com/rrun-project/rrun/host/trace"
)

// The pre-started pool (see "Pre-started commands" in docs/internal.md):
// `rrun __prefork RUNDIR MAPPING`, started by the session holder in its
// namespaces, waits on $RUNDIR/prefork/PID-TAG.sock for one warm-path
// command started with the same limits, nice value and CPU affinity
// (join.InheritTag)
// whose C constructor hands over its fds, argv, environment and working
// directory, becomes that command and sends its exit code back. The wire
// format is host/session/join/prefork_linux.h.

// preforkArg is the pool process's re-exec mode.
const preforkArg = "__prefork"

const (
	preforkMagic    = "RPF1"
	preforkVersion  = 1
	preforkFdLimit  = 64 // PREFORK_FD_LIMIT
	preforkHeader   = 48 + 4*preforkFdLimit
	preforkMaxBytes = 64 << 20 // argv + environment; ARG_MAX is far below
	preforkRun      = 1        // a run, which would have joined the holder
	preforkPrepare  = 4        // a Slurm step's prepare, which would have joined it too (slurm.go)
)

// preforkRequest is one command handed over by a client.
type preforkRequest struct {
	fds, targets []int
	umask        int
	ignored      uint32 // bit N: signal N was ignored in the client
	verb         uint32 // the constructor's warm_verb: preforkRun or an exec
	start        time.Time
	client       int // its pid (SO_PEERCRED)
	cwd          string
	args, env    []string
}

// servePrefork is the pool process's role; it never returns. After a
// foreground run it may serve again (reusable): it tells the holder 'R'
// and waits for the next client, which then does not pay a new process's
// start-up (see "Pre-started commands" in docs/internal.md).
func servePrefork() {
	ctl := join.PreforkCtl()
	if ctl < 0 || len(os.Args) < 4 {
		os.Exit(125)
	}
	startNetpoll()
	pluginmgr.ParkConnections(preforkFdLimit)
	dir := filepath.Join(join.RunDir(), "prefork")
	sock := filepath.Join(dir, fmt.Sprintf("%d-%s.sock", os.Getpid(), join.InheritTag()))
	// The holder's end closes when it exits, or when it has idle ones
	// enough: an idle pool process exits then, a busy one (serving, or
	// not yet listening) after that.
	var state atomic.Int32 // poolIdle, poolBusy, poolGone
	state.Store(poolBusy)
	go func() {
		var b [1]byte
		for {
			if n, err := unix.Read(ctl, b[:]); n == 0 || err != unix.EINTR {
				break
			}
		}
		for !state.CompareAndSwap(poolBusy, poolGone) {
			if state.CompareAndSwap(poolIdle, poolGone) {
				leavePool(sock, 0)
			}
		}
	}()
	for served := 1; ; served++ {
		ln, err := listenPrefork(dir, sock)
		if err != nil {
			os.Exit(125) // the holder retries after a while
		}
		if !state.CompareAndSwap(poolBusy, poolIdle) { // the holder is gone, or has idle ones enough
			leavePool(sock, 0)
		}
		// After listening: a client that comes meanwhile waits these few ms
		// for its accept, where it would otherwise find no process listening
		// and start rrun itself (~30 ms).
		prebuildRoot()
		// The warm plugins' connections the last command could not keep
		// (made while the client's fd numbers were free), made again now
		// that they are held: the next command takes them (park.go).
		pluginmgr.Redial()
		// After a warm pasta run: the next one's network, made ahead. It runs
		// on the main goroutine, which also runs the command: see
		// RefreshSpareNetwork.
		session.RefreshSpareNetwork(join.RunDir())
		conn, req := acceptPrefork(ln, func() { session.RefreshSpareNetwork(join.RunDir()) })
		if !state.CompareAndSwap(poolIdle, poolBusy) {
			select {} // the holder is gone: the watcher is ending this process
		}
		_, _ = unix.Write(ctl, []byte{'T'}) // the holder starts the next one, or waits for this one
		_ = unix.Close(ln)
		_ = os.Remove(sock)
		code, again := serveOne(conn, req, served)
		if !again || state.Load() == poolGone {
			leavePool(sock, code) // its socket is gone already
		}
		_ = unix.Close(conn)
		if _, err := unix.Write(ctl, []byte{'R'}); err != nil {
			os.Exit(code)
		}
	}
}

// leavePool ends this pool process with code: its spare network (one no
// command took) goes first, then its socket, since system migrate returns
// once the sockets are gone.
func leavePool(sock string, code int) {
	session.DropSpareNetwork()
	_ = os.Remove(sock)
	os.Exit(code)
}

// serveOne serves the served-th command of this process, req, on conn:
// it answers 'A', runs the command, sends 'E' and the exit code, does the
// work left for after it, and reports whether this process may serve
// again (reusable).
func serveOne(conn int, req *preforkRequest, served int) (code int, again bool) {
	if _, err := unix.Write(conn, []byte{'A'}); err != nil {
		os.Exit(125)
	}
	collectLater() // held since the process started (main) or since it served last
	defaultProcs() // a prepare it served last ran on one P
	code, clientDone := runServed(conn, req, served)
	if replied.CompareAndSwap(false, true) { // the client exits now: its EOF is no kill any more
		writeExit(conn, code)
	}
	letGoOfClientFds(req)
	finishLater()
	return code, reusable(req, served, clientDone)
}

// A pool process's state, as its holder watcher sees it.
const (
	poolIdle = iota
	poolBusy
	poolGone
)

// maxServed bounds the commands one pool process serves.
const maxServed = 64

// reusedHeapCap is the heap above which a pool process collects before it
// serves again.
const reusedHeapCap = 32 << 20

// writeExit sends the client the message that ends it with code.
func writeExit(conn, code int) {
	var msg [5]byte
	msg[0] = 'E'
	binary.NativeEndian.PutUint32(msg[1:], uint32(int32(code)))
	_, _ = unix.Write(conn, msg[:])
}

// releaseClient sends the served command's client its exit code now, for
// a command that goes on after its answer (a Slurm step's prepare stays
// its container's monitor): the client exits with code, and this process
// no longer dies with it. It does nothing in a process that serves no
// waiting client.
func releaseClient(code int) {
	if servedConn >= 0 && replied.CompareAndSwap(false, true) {
		writeExit(servedConn, code)
	}
}

// servedConn is the connection to the waiting client of the command being
// served (-1: none).
var servedConn = -1

// reusable reports whether this process may serve another command after
// req, its served-th, and if so readies it: only after a foreground run
// or a Slurm step's prepare that got to its end (servedForeground), whose client is gone
// (clientDone), once the command left no fd among the numbers a client
// passes (3 to preforkFdLimit-1: the runtime's own are above them, see
// startNetpoll) and its package state is put back.
func reusable(req *preforkRequest, served int, clientDone <-chan struct{}) bool {
	if (req.verb != preforkRun && req.verb != preforkPrepare) || !servedForeground || served >= maxServed || os.Getenv(preforkReuseEnv) == "0" {
		return false
	}
	select {
	case <-clientDone:
	case <-time.After(time.Second):
		trace.Mark("pre-started rrun ends: its client lingers") // stopped? it still reads our conn
		return false
	}
	for fd := 3; fd < preforkFdLimit; fd++ {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil {
			trace.Mark(fmt.Sprintf("pre-started rrun ends: its command left fd %d open (%s)", fd, fdTarget(fd)))
			return false
		}
	}
	// Stdio as the holder's child had it, and the placeholders again.
	null, err := unix.Open(os.DevNull, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	for fd := range preforkFdLimit {
		flags := 0
		if fd > 2 {
			flags = unix.O_CLOEXEC
		}
		if fd != null {
			_ = unix.Dup3(null, fd, flags)
		}
	}
	if null >= preforkFdLimit {
		_ = unix.Close(null)
	}
	signal.Reset()
	session.ReleaseSpareThread() // a pasta run's; the next spare locks it again
	servedClient, servedConn, servedForeground, inheritedFds, holderWarning = 0, -1, false, 0, ""
	monitorStays, monitorOwner, monitorOwnerFD, privateIsolation, smallMonitor = false, nil, -1, false, "" // a prepare's
	replied.Store(false)
	os.Clearenv()
	_ = os.Chdir("/")
	// A run allocates ~1 MB: the collector stays off while the pool
	// process serves (its cost was ~5 ms of CPU per collection), and
	// collects now and then.
	holdCollector()
	var ms runtime.MemStats
	if runtime.ReadMemStats(&ms); ms.HeapAlloc > reusedHeapCap {
		runtime.GC()
	}
	return true
}

// fdTarget names what fd is open on, for the trace.
func fdTarget(fd int) string {
	t, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd))
	if err != nil {
		return "?"
	}
	return t
}

// preforkReuseEnv set to 0 in a command's environment makes the pool
// process that serves it exit after it, as every one did before reuse.
const preforkReuseEnv = "RRUN_PREFORK_REUSE"

// servedForeground is set once a served foreground run's monitor returned
// (startOwned): the command went through its end, and a pool process may
// serve another after it (reusable).
var servedForeground bool

// startNetpoll makes the Go runtime open its poller's epoll fd now, while
// the constructor's placeholders hold the fd numbers a client passes: the
// first command's would otherwise land among them, and a reused process's
// next client's fds would be put over it.
func startNetpoll() {
	r, w, err := os.Pipe()
	if err != nil {
		os.Exit(125)
	}
	r.Close()
	w.Close()
}

// listenPrefork binds sock (in dir, 0700 like the run dir) for one client.
func listenPrefork(dir, sock string) (int, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return -1, err
	}
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	// Bound and listening under a temporary name first: a client that found
	// the socket but no listener would remove it as a killed process's.
	tmp := sock + ".new"
	_ = os.Remove(tmp)
	err = unix.Bind(fd, &unix.SockaddrUnix{Name: tmp})
	if err == nil {
		err = unix.Listen(fd, 1)
	}
	if err == nil {
		err = os.Rename(tmp, sock)
	}
	if err != nil {
		_ = unix.Close(fd)
		_ = os.Remove(tmp)
		return -1, err
	}
	return fd, nil
}

// acceptPrefork waits for a client of this user with a well-formed
// request; others are closed and the wait goes on. idle runs every second
// of the wait.
func acceptPrefork(ln int, idle func()) (int, *preforkRequest) {
	for {
		fds := []unix.PollFd{{Fd: int32(ln), Events: unix.POLLIN}}
		if n, err := unix.Poll(fds, 1000); n == 0 || err == unix.EINTR {
			if n == 0 {
				idle()
			}
			continue
		}
		conn, _, err := unix.Accept4(ln, unix.SOCK_CLOEXEC)
		if err != nil {
			if err == unix.EINTR || err == unix.ECONNABORTED {
				continue
			}
			os.Exit(125)
		}
		cred, err := unix.GetsockoptUcred(conn, unix.SOL_SOCKET, unix.SO_PEERCRED)
		if err == nil && int(cred.Uid) == os.Getuid() {
			if req, err := readPreforkRequest(conn); err == nil {
				req.client = int(cred.Pid)
				return conn, req
			}
		}
		_ = unix.Close(conn)
	}
}

// readPreforkRequest reads the header with its fds, then the strings.
func readPreforkRequest(conn int) (*preforkRequest, error) {
	buf := make([]byte, preforkHeader)
	oob := make([]byte, unix.CmsgSpace(4*preforkFdLimit))
	n, oobn, _, _, err := unix.Recvmsg(conn, buf, oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		return nil, err
	}
	req := &preforkRequest{}
	if req.fds, err = receivedFds(oob[:oobn]); err != nil {
		return nil, err
	}
	if err := readFull(conn, buf[n:]); err != nil || string(buf[:4]) != preforkMagic {
		closeAll(req.fds)
		return nil, fmt.Errorf("bad request header")
	}
	if err := req.decode(conn, buf); err != nil {
		closeAll(req.fds)
		return nil, err
	}
	return req, nil
}

func receivedFds(oob []byte) ([]int, error) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, err
	}
	var fds []int
	for _, m := range msgs {
		if got, err := unix.ParseUnixRights(&m); err == nil {
			fds = append(fds, got...)
		}
	}
	return fds, nil
}

// decode checks the header in buf and reads the strings that follow it.
func (r *preforkRequest) decode(conn int, buf []byte) error {
	ne := binary.NativeEndian
	version, nfds, argc, envc := ne.Uint32(buf[4:]), int(ne.Uint32(buf[8:])), int(ne.Uint32(buf[12:])), int(ne.Uint32(buf[16:]))
	r.umask, r.ignored, r.verb = int(ne.Uint32(buf[20:])), ne.Uint32(buf[24:]), ne.Uint32(buf[28:])
	size := ne.Uint64(buf[32:])
	r.start = time.Unix(0, int64(ne.Uint64(buf[40:])))
	if version != preforkVersion || nfds != len(r.fds) || nfds > preforkFdLimit || argc < 1 || size > preforkMaxBytes {
		return fmt.Errorf("request of another version or malformed")
	}
	seen := map[int]bool{}
	for i := range nfds {
		t := int(int32(ne.Uint32(buf[48+4*i:])))
		if t < 0 || t >= preforkFdLimit || seen[t] {
			return fmt.Errorf("bad fd number %d", t)
		}
		seen[t] = true
		r.targets = append(r.targets, t)
	}
	data := make([]byte, size)
	if err := readFull(conn, data); err != nil {
		return err
	}
	strs := strings.Split(string(data), "\x00")
	if len(strs) != 1+argc+envc+1 || strs[len(strs)-1] != "" {
		return fmt.Errorf("request strings do not match their counts")
	}
	r.cwd, r.args, r.env = strs[0], strs[1:1+argc], strs[1+argc:1+argc+envc]
	return nil
}

func readFull(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := unix.Read(fd, b)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("connection closed")
		}
		b = b[n:]
	}
	return nil
}

func closeAll(fds []int) {
	for _, fd := range fds {
		_ = unix.Close(fd)
	}
}

// runServed becomes the client's command and runs it like main does; the
// served-th command of this process. clientDone is closed once the client
// is gone after its exit code (see dieWithClient).
func runServed(conn int, req *preforkRequest, served int) (int, <-chan struct{}) {
	installPreforkFds(req)
	unix.Umask(req.umask)
	for sig := range 32 {
		if req.ignored&(1<<sig) != 0 {
			signal.Ignore(syscall.Signal(sig)) // as if started so: a later Notify takes it back, as then
		}
	}
	os.Clearenv()
	for _, kv := range req.env {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
			_ = os.Setenv(k, v)
		}
	}
	_ = os.Chdir(req.cwd) // a cwd that is gone: reported where it matters, as on the normal path
	os.Args = req.args
	clientDone := make(chan struct{})
	if req.verb != preforkDetached {
		servedClient, servedConn = req.client, conn
		go func() {
			dieWithClient(conn)
			close(clientDone)
		}()
	} else {
		close(clientDone) // a detached monitor outlives the rrun that handed it over
	}
	trace.Reload() // package variables computed from the pool's own (empty) environment
	trace.Rebase(req.start)
	trace.Mark("main " + strings.Join(os.Args[1:min(3, len(os.Args))], " "))
	trace.MarkCPU(fmt.Sprintf("served by pre-started rrun %d of holder %d (its command %d)", os.Getpid(), join.HolderPID(), served))
	adoptHolder(req.verb == preforkRun || req.verb == preforkPrepare) // an exec never joined: no mapping warning
	return runCommand(), clientDone
}

// installPreforkFds puts the client's fds at their numbers and closes the
// placeholders the C constructor kept below preforkFdLimit.
func installPreforkFds(req *preforkRequest) {
	used := map[int]bool{}
	for i, fd := range req.fds {
		if err := unix.Dup3(fd, req.targets[i], 0); err != nil {
			os.Exit(125)
		}
		used[req.targets[i]] = true
	}
	closeAll(req.fds)
	for fd := 3; fd < preforkFdLimit; fd++ {
		if !used[fd] {
			_ = unix.Close(fd)
		}
	}
}

// letGoOfClientFds points the client's stdin and stdout at /dev/null and
// closes the others it passed but stderr once its exit code went out: a
// reader of its stdout (a shell's `$(rrun run --rm ...)`) gets its EOF as
// the client exits, not after the work left for later. Warnings of that
// work still reach the client's stderr.
func letGoOfClientFds(req *preforkRequest) {
	null, err := unix.Open(os.DevNull, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	for _, fd := range req.targets {
		switch {
		case fd < 2:
			_ = unix.Dup3(null, fd, 0)
		case fd > 2:
			_ = unix.Close(fd) // --preserve-fds: the container has them
		}
	}
	_ = unix.Close(null)
}

// servedClient is the pid of the client whose death ends this process
// (dieWithClient), 0 when none does.
var servedClient int

// replied is set once the exit code is on its way to the client.
var replied atomic.Bool

// dieWithClient ends this process as a SIGKILL of the client would have
// ended it on the normal path: the command's client is gone.
func dieWithClient(conn int) {
	var b [1]byte
	for {
		n, err := unix.Read(conn, b[:])
		if err == unix.EINTR {
			continue
		}
		if n == 0 || err != nil {
			if replied.Load() {
				return
			}
			_ = unix.Kill(os.Getpid(), unix.SIGKILL)
		}
	}
}
