package native

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/plugins/api"
	"github.com/rrun-project/rrun/plugins/isolation/native/nsinit"
)

// A spare is an init the plugin starts before a Create needs it
// (nsinit.SpareArg): the clone of the container's namespaces and the
// exec of rrun-nsinit (and, for the Go init, its runtime's start), most
// of a Create's time, then happen while no command waits. After each Create that could have used one, the plugin starts the
// next, for the same clone flags; there is at most one. It is cloned in
// the container's new pid, uts, ipc and network namespaces, but in the
// plugin's mount and cgroup namespaces: it makes those when it gets its
// container (nsinit.Config.Unshare), after the plugin moved it into the
// container's cgroup, so that it sees the mounts made since it started
// (the storage plugin mounts each container's rootfs just before Create)
// and its cgroup namespace starts at the container's cgroup. It holds
// nothing of a container's until then: /dev/null as stdio, the plugin's
// environment left out, as the init a Create starts. When the plugin
// exits, the spare reads EOF on its control socket and exits too.
type spare struct {
	flags uintptr // the clone flags of the containers it can serve
	pid   int
	pidfd *os.File // from clone; nil when the kernel gave none
	mark  uint64   // the reaper's mark from before its clone
	conn  *net.UnixConn
	cinit bool // the C init's (nsinit.CInitEnv): it takes EncodeCInit's bytes too
}

// unsharedLater are the namespaces a spare makes only when it gets its
// container.
const unsharedLater = unix.CLONE_NEWNS | unix.CLONE_NEWCGROUP

// spareFits reports whether a container can start from a spare: not with
// a user namespace of its own (the plugin writes its id maps at clone), nor
// with preserved fds (they come before the control socket).
func spareFits(spec *specs.Spec, stdio api.Stdio) bool {
	return !newUserNS(spec) && len(stdio.ExtraFiles) == 0
}

// takeSpare returns the spare for flags, or nil when there is none.
func (b *Backend) takeSpare(flags uintptr) *spare {
	b.spareMu.Lock()
	defer b.spareMu.Unlock()
	sp := b.spare
	if sp == nil || sp.flags != flags {
		return nil
	}
	b.spare = nil
	return sp
}

// refillSpare starts, in the background, a spare for flags when there is
// none and none is starting; one for other flags is replaced.
func (b *Backend) refillSpare(flags uintptr) {
	b.spareMu.Lock()
	if !b.sparesOn || b.spareStarting || (b.spare != nil && b.spare.flags == flags) {
		b.spareMu.Unlock()
		return
	}
	old := b.spare
	b.spare, b.spareStarting = nil, true
	b.spareMu.Unlock()
	if old != nil {
		b.discardSpare(old)
	}
	go func() {
		sp, err := b.startSpare(flags)
		b.spareMu.Lock()
		b.spare, b.spareStarting = sp, false
		b.spareMu.Unlock()
		if err != nil {
			b.log.Debug("no spare init", "error", err)
		}
	}()
}

// startSpare clones a spare init for containers of flags.
func (b *Backend) startSpare(flags uintptr) (*spare, error) {
	conn, control, err := socketPair()
	if err != nil {
		return nil, err
	}
	defer control.Close()
	// The console channel's place (base+ConsoleFd): held by /dev/null, so
	// that the fds the spare receives land above it.
	console, err := os.Open(os.DevNull)
	if err != nil {
		conn.Close()
		return nil, err
	}
	defer console.Close()
	env, cinit := []string{}, b.cInitOn()
	if cinit {
		env = append(env, nsinit.CInitEnv+"=spare")
	}
	pidfd := -1
	cmd := &exec.Cmd{
		Path:        b.initPath,
		Args:        append(nsinitArgs(false), nsinit.SpareArg),
		Env:         env,
		ExtraFiles:  []*os.File{control, console},
		SysProcAttr: &syscall.SysProcAttr{Cloneflags: flags &^ unsharedLater, Setsid: true, PidFD: &pidfd},
	}
	mark := b.reaper.Mark()
	if err := cmd.Start(); err != nil {
		conn.Close()
		return nil, err
	}
	sp := &spare{flags: flags, pid: cmd.Process.Pid, pidfd: pidfdFile(pidfd), mark: mark, conn: conn, cinit: cinit}
	_ = cmd.Process.Release() // the reaper reaps it (Release sets Pid to -1)
	return sp, nil
}

// discardSpare ends a spare no container will take: it exits on EOF.
func (b *Backend) discardSpare(sp *spare) {
	b.reaper.Watch(sp.pid, sp.mark) // reap it, whoever else waits or not
	sp.conn.Close()
	if sp.pidfd != nil {
		sp.pidfd.Close()
	}
}

// handSpare gives the container of req the spare sp: it moves it into
// the container's cgroup and sends it the container's stdio and console
// channel, and whether the C init's configuration (with cinit, when the
// spare has the C init) or Config's JSON follows. An error means the spare
// is gone (discarded), and the caller starts an init as usual.
func (b *Backend) handSpare(sp *spare, req api.CreateRequest, files *childFiles, dir, cgroup string, cinit bool) (*container, error) {
	if err := joinCgroup(cgroup, sp.pid); err != nil {
		b.discardSpare(sp)
		return nil, err
	}
	cinit = cinit && sp.cinit
	kind := []byte{nsinit.SpareNoTerminal}
	if cinit {
		kind[0] = nsinit.SpareCNoTerminal
	}
	fds := []int{int(files.stdio[0].Fd()), int(files.stdio[1].Fd()), int(files.stdio[2].Fd())}
	if files.child != nil {
		kind[0] = nsinit.SpareTerminal
		if cinit {
			kind[0] = nsinit.SpareCTerminal
		}
		fds = append(fds, int(files.child.Fd()))
	}
	if _, _, err := sp.conn.WriteMsgUnix(kind, unix.UnixRights(fds...), nil); err != nil {
		b.discardSpare(sp)
		return nil, fmt.Errorf("spare init %d is gone: %w", sp.pid, err)
	}
	c := &container{id: req.ID, dir: dir, cgroup: cgroup, conn: sp.conn, status: api.StatusCreated, execs: map[string]*proc{},
		enc: json.NewEncoder(sp.conn), dec: json.NewDecoder(sp.conn), unshare: sp.flags & unsharedLater, cinit: cinit}
	c.init = b.track(sp.pid, sp.pidfd, sp.mark, req.Stdio.Terminal, func() { b.saveLogged(c) })
	return c, nil
}
