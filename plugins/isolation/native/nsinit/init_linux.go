package nsinit

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Main is the container side of the backend: rrun-nsinit's main (the
// container's init, `rrun-nsinit __init`, and a process Exec starts in a
// running container, `rrun-nsinit __init exec`) calls it first thing. It
// reads its configuration from the control socket, sets the process up and
// execs the command. It never returns.
func Main() {
	// Capabilities and no_new_privs are per thread: set up and exec from
	// one.
	runtime.LockOSThread()
	base := fdBaseFromEnv()
	ch := &initChannel{f: os.NewFile(uintptr(base+SocketFd), "init-control"), fdBase: base}
	ch.dec, ch.enc = json.NewDecoder(ch.f), json.NewEncoder(ch.f)
	// A successful exec must close the socket: that is how the plugin
	// tells it from a failed one.
	unix.CloseOnExec(base + SocketFd)
	if len(os.Args) > 2 {
		switch os.Args[2] {
		case ExecArg:
			execMain(ch)
		case SpareArg:
			spareMain(ch)
		}
	}
	containerMain(ch)
}

// containerMain sets the container up, reports ready, waits for start and
// execs the command.
func containerMain(ch *initChannel) {
	t0 := time.Now()
	var cfg Config
	if err := ch.dec.Decode(&cfg); err != nil {
		os.Exit(1) // the plugin went away; nobody to tell
	}
	if cfg.Trace {
		ch.send(Message{Type: MsgLog, Message: fmt.Sprintf("trace: init main at %d, config decoded in %.2f ms", t0.UnixNano(), float64(time.Since(t0).Microseconds())/1000)})
	}
	if cfg.Version != ProtocolVersion {
		ch.fail(fmt.Errorf("init speaks protocol %d, plugin sent %d", ProtocolVersion, cfg.Version))
	}
	if err := prepare(ch, &cfg); err != nil {
		ch.fail(err)
	}
	ch.send(Message{Type: MsgReady})
	var m Message
	if err := ch.dec.Decode(&m); err != nil || m.Type != MsgStart {
		os.Exit(1) // deleted before start, or the plugin died
	}
	execProcess(ch, cfg.Spec.Process)
}

// execMain runs in a process that nsenter_linux.c cloned into a running
// container's namespaces.
func execMain(ch *initChannel) {
	var cfg ExecConfig
	if err := ch.dec.Decode(&cfg); err != nil {
		os.Exit(1)
	}
	if !nsentered() {
		ch.fail(errors.New("exec: this process is not in the container's namespaces (was rrun-nsinit built without cgo?)"))
	}
	if cfg.Version != ProtocolVersion {
		ch.fail(fmt.Errorf("exec speaks protocol %d, plugin sent %d", ProtocolVersion, cfg.Version))
	}
	// Its own session, so that the host's job control does not reach it;
	// with a terminal, the session the terminal belongs to.
	_, _ = unix.Setsid()
	if cfg.Terminal {
		if err := setupTerminal(cfg.Process, ch.fdBase+ConsoleFd); err != nil {
			ch.fail(err)
		}
	}
	if err := becomeProcess(ch, cfg.Process, cfg.SingleIDMap, cfg.Seccomp); err != nil {
		ch.fail(err)
	}
	execProcess(ch, cfg.Process)
}

// prepare does everything between clone and exec, in order.
func prepare(ch *initChannel, cfg *Config) error {
	spec, root := cfg.Spec, cfg.RootfsDir
	steps := []func() error{
		func() error { return joinNetNS(cfg.NetNS) },
		func() error { return unshare(cfg.Unshare) },
		func() error { return makePrivate() },
		func() error { return mountRootfs(root, cfg.Rootfs) },
		func() error { return mountSpecMounts(ch, root, spec.Mounts) },
		func() error { return bindDevices(ch, root, spec) },
		func() error { return devSymlinks(root) },
		func() error { return pivotRoot(root) },
		func() error { return setHostname(spec) },
		func() error { return loopbackUp(ch, spec) },
		func() error { return maskPaths(ch, spec) },
		func() error { return readonlyRoot(spec) },
		func() error {
			if cfg.Terminal {
				return setupTerminal(spec.Process, ch.fdBase+ConsoleFd)
			}
			return nil
		},
		func() error { return becomeProcess(ch, spec.Process, cfg.SingleIDMap, cfg.Seccomp) },
	}
	var took strings.Builder
	last := time.Now()
	for i, step := range steps {
		if err := step(); err != nil {
			return err
		}
		if cfg.Trace {
			now := time.Now()
			fmt.Fprintf(&took, " %d:%.2f", i, float64(now.Sub(last).Microseconds())/1000)
			last = now
		}
	}
	if cfg.Trace {
		ch.send(Message{Type: MsgLog, Message: "trace: init steps (ms)" + took.String()})
	}
	return nil
}

// initChannel is the init's end of the control socket.
type initChannel struct {
	f      *os.File
	fdBase int // the first fd after the preserved ones
	enc    *json.Encoder
	dec    *json.Decoder
}

func (ch *initChannel) send(m Message) {
	_ = ch.enc.Encode(m) // if the plugin is gone, exiting is all that is left
}

// debugf sends a debug line to the plugin's log. The init must never write
// to its stderr: that is the container's.
func (ch *initChannel) debugf(format string, args ...any) {
	ch.send(Message{Type: MsgLog, Message: fmt.Sprintf(format, args...)})
}

func (ch *initChannel) fail(err error) {
	ch.send(Message{Type: MsgError, Message: err.Error()})
	os.Exit(1)
}

// fdBaseFromEnv is the fd of the control socket: 3 unless fds are
// preserved before it.
func fdBaseFromEnv() int {
	base, err := strconv.Atoi(os.Getenv(FdBaseEnv))
	if err != nil || base < 3 {
		return 3
	}
	return base
}
