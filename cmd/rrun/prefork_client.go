package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/host/proc"
	"github.com/rrun-project/rrun/host/session/join"
)

// preforkDetached is the verb of a command handed to a pool process by
// rrun itself, not by a client that waits for it: a detached container's
// monitor (startDetached). The server does not die with the connection.
const preforkDetached = 5

// earlyEnv are variables the Go runtime or gRPC read once, at start: a pool
// process started without them would ignore them (the C client's env_ok).
var earlyEnv = []string{"GODEBUG=", "GOGC=", "GOMAXPROCS=", "GOMEMLIMIT=", "GOTRACEBACK=", "GRPC_GO_", "SLURM_JOB_ID=", "RRUN_PREFORK=0"}

// servedProcess is a command a pool process took: its pid, and a channel
// closed when its end of the connection closes (it exited, or exec'd
// rrun-monitor).
type servedProcess struct {
	pid  int
	done chan struct{}
}

// handToPool gives args (argv, args[0] this binary) with env and files as
// its fds 0..len(files)-1 to an idle pre-started rrun of the holder this
// process joined: a pool process that has already paid the binary's
// start. It returns nil, without side effects, when none takes it: not
// joined, the pool off or empty, or a process that fails the checks the C
// client makes (this uid, a child of the holder, the same cgroups, started
// with the same limits). Only a process that never answers a client, as a
// detached monitor, should be handed over this way.
func handToPool(args, env []string, files []*os.File) *servedProcess {
	if !join.Joined() || join.HolderPID() <= 0 || len(files) > preforkFdLimit {
		return nil
	}
	for _, kv := range env {
		for _, p := range earlyEnv {
			if strings.HasPrefix(kv, p) {
				return nil
			}
		}
	}
	dir := filepath.Join(join.RunDir(), "prefork")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	suffix := "-" + join.InheritTag() + ".sock"
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), suffix) {
			continue
		}
		if s := tryPoolProcess(filepath.Join(dir, e.Name()), args, env, files); s != nil {
			return s
		}
	}
	return nil
}

// tryPoolProcess hands the command to the pool process listening on path.
func tryPoolProcess(path string, args, env []string, files []*os.File) *servedProcess {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	if err := unix.Connect(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		if errors.Is(err, unix.ECONNREFUSED) {
			_ = os.Remove(path) // its process was killed: nobody else cleans it
		}
		unix.Close(fd)
		return nil
	}
	pid := poolPeer(fd)
	if pid == 0 || sendPreforkRequest(fd, args, env, files) != nil {
		unix.Close(fd)
		return nil
	}
	var ack [1]byte
	_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Sec: 10})
	if n, err := unix.Read(fd, ack[:]); n != 1 || err != nil || ack[0] != 'A' {
		unix.Close(fd) // busy (another client came first) or refused: the next one
		return nil
	}
	_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{})
	s := &servedProcess{pid: pid, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		defer unix.Close(fd)
		var b [64]byte
		for {
			n, err := unix.Read(fd, b[:])
			if err == unix.EINTR {
				continue
			}
			if n <= 0 || err != nil {
				return
			}
		}
	}()
	return s
}

// poolPeer is the pid of the process on the other end of fd when it is
// one of the holder's pool processes in this process's cgroups, else 0.
func poolPeer(fd int) int {
	cred, err := unix.GetsockoptUcred(fd, unix.SOL_SOCKET, unix.SO_PEERCRED)
	if err != nil || int(cred.Uid) != os.Getuid() {
		return 0
	}
	pid := int(cred.Pid)
	if s, ok := proc.Read(pid); !ok || !s.Live() || s.PPid != join.HolderPID() {
		return 0
	}
	mine, err1 := os.ReadFile("/proc/self/cgroup")
	theirs, err2 := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
	if err1 != nil || err2 != nil || !bytes.Equal(mine, theirs) {
		return 0
	}
	return pid
}

// sendPreforkRequest writes the request of prefork_linux.h: the header
// with files as fds 0..n-1, then the working directory, args and env.
func sendPreforkRequest(fd int, args, env []string, files []*os.File) error {
	cwd, err := os.Getwd()
	if err != nil {
		return err
	}
	var strs bytes.Buffer
	for _, s := range append(append([]string{cwd}, args...), env...) {
		strs.WriteString(s)
		strs.WriteByte(0)
	}
	hdr := make([]byte, preforkHeader)
	ne := binary.NativeEndian
	copy(hdr, preforkMagic)
	um := unix.Umask(0)
	unix.Umask(um)
	ne.PutUint32(hdr[4:], preforkVersion)
	ne.PutUint32(hdr[8:], uint32(len(files)))
	ne.PutUint32(hdr[12:], uint32(len(args)))
	ne.PutUint32(hdr[16:], uint32(len(env)))
	ne.PutUint32(hdr[20:], uint32(um))
	ne.PutUint32(hdr[24:], 0) // no signal ignored: a detached monitor installs its own
	ne.PutUint32(hdr[28:], preforkDetached)
	ne.PutUint64(hdr[32:], uint64(strs.Len()))
	ne.PutUint64(hdr[40:], uint64(time.Now().UnixNano()))
	fds := make([]int, len(files))
	for i, f := range files {
		fds[i] = int(f.Fd())
		ne.PutUint32(hdr[48+4*i:], uint32(i))
	}
	if err := unix.Sendmsg(fd, hdr, unix.UnixRights(fds...), nil, unix.MSG_NOSIGNAL); err != nil {
		return err
	}
	for b := strs.Bytes(); len(b) > 0; {
		n, err := unix.SendmsgN(fd, b, nil, nil, unix.MSG_NOSIGNAL)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}
