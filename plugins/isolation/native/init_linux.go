package native

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// InitMain is the container's init: `rrun __init` calls it first thing. It
// reads its configuration from the control socket, sets the container up,
// reports ready, waits for start and execs the command. It never returns.
func InitMain() {
	runtime.LockOSThread()
	ch := &initChannel{f: os.NewFile(initSocketFd, "init-control")}
	ch.dec, ch.enc = json.NewDecoder(ch.f), json.NewEncoder(ch.f)
	// A successful exec must close the socket: that is how the plugin
	// tells it from a failed one.
	unix.CloseOnExec(initSocketFd)
	var cfg initConfig
	if err := ch.dec.Decode(&cfg); err != nil {
		os.Exit(1) // the plugin went away; nobody to tell
	}
	if cfg.Version != protocolVersion {
		ch.fail(fmt.Errorf("init speaks protocol %d, plugin sent %d", protocolVersion, cfg.Version))
	}
	if err := prepare(ch, &cfg); err != nil {
		ch.fail(err)
	}
	ch.send(message{Type: msgReady})
	var m message
	if err := ch.dec.Decode(&m); err != nil || m.Type != msgStart {
		os.Exit(1) // deleted before start
	}
	execProcess(ch, cfg.Spec.Process)
}

// prepare does everything between clone and exec, in order.
func prepare(ch *initChannel, cfg *initConfig) error {
	spec, root := cfg.Spec, cfg.RootfsDir
	steps := []func() error{
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
		func() error { return enterCwd(spec.Process.Cwd) },
		func() error { return setRlimits(ch, spec.Process) },
		func() error { return setUser(ch, spec.Process) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// initChannel is the init's end of the control socket.
type initChannel struct {
	f   *os.File
	enc *json.Encoder
	dec *json.Decoder
}

func (ch *initChannel) send(m message) {
	_ = ch.enc.Encode(m) // if the plugin is gone, exiting is all that is left
}

// debugf sends a debug line to the plugin's log. The init must never write
// to its stderr: that is the container's.
func (ch *initChannel) debugf(format string, args ...any) {
	ch.send(message{Type: msgLog, Message: fmt.Sprintf(format, args...)})
}

func (ch *initChannel) fail(err error) {
	ch.send(message{Type: msgError, Message: err.Error()})
	os.Exit(1)
}
