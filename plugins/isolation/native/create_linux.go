package native

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/plugins/api"
	"github.com/rrun-project/rrun/plugins/isolation/native/nsinit"
)

// Create spawns the container's init, which sets up the namespaces and the
// root filesystem and then waits for Start. With a terminal, the pty
// master has been sent to the console socket when Create returns.
func (b *Backend) Create(ctx context.Context, req api.CreateRequest) (int, error) {
	t0 := time.Now()
	defer api.TraceSince("native: create", t0)
	spec, err := parseSpec(req.ID, req.SpecJSON)
	if err != nil {
		return 0, err
	}
	if err := checkTerminal(req.ID, spec.Process, req.Stdio); err != nil {
		return 0, err
	}
	rootfs, err := rootfsMounts(req.ID, req.Rootfs, spec)
	if err != nil {
		return 0, err
	}
	if b.initErr != nil {
		return 0, b.initErr
	}
	api.TraceSince("native: spec parsed", t0)
	sec, err := b.containerSeccomp(req.ID, spec)
	if err != nil {
		return 0, err
	}
	api.TraceSince("native: seccomp ready", t0)
	runDir, err := b.reserve(req.ID)
	if err != nil {
		return 0, err
	}
	flags, _ := cloneFlags(spec) // checked by parseSpec
	spareOK := spareFits(spec, req.Stdio)
	dir := filepath.Join(runDir, req.ID)
	cfg := nsinit.Config{Version: nsinit.ProtocolVersion, Spec: initSpec(spec), Rootfs: nsinitMounts(rootfs), RootfsDir: filepath.Join(dir, "rootfs"),
		Terminal: req.Stdio.Terminal, SingleIDMap: b.isSingleIDMap(), Seccomp: sec, NetNS: netNSPath(spec), Trace: api.Tracing()}
	cinit := b.cInitConfig(&cfg)
	c, console, err := b.spawn(req, spec, dir, flags, spareOK, cinit != nil)
	api.TraceSince("native: init spawned", t0)
	if err == nil {
		// The filter is saved for later Execs while the init sets up.
		save := func() error {
			defer api.TraceSince("native: seccomp saved", t0)
			return saveSeccomp(c.dir, sec)
		}
		err = b.awaitReady(ctx, c, cfg, cinit, save)
	}
	api.TraceSince("native: init ready", t0)
	if err == nil && console != nil {
		err = handOverTerminal(ctx, c.init, console, req.Stdio.ConsoleSocket)
	}
	if console != nil {
		console.Close()
	}
	if err == nil {
		err = c.save()
	}
	if err != nil {
		if c != nil {
			c.destroy()
		}
		b.publish(req.ID, nil)
		return 0, err
	}
	b.publish(req.ID, c)
	if spareOK {
		b.refillSpare(flags)
	}
	return c.init.Pid, nil
}

// initSpec is spec without its seccomp profile, which the init never
// reads (it loads the compiled filter of Config.Seccomp): the profile is
// most of the spec, and decoding it in a fresh process is most of the
// init's time before its first mount.
func initSpec(spec *specs.Spec) *specs.Spec {
	if spec.Linux == nil || spec.Linux.Seccomp == nil {
		return spec
	}
	s, l := *spec, *spec.Linux
	l.Seccomp = nil
	s.Linux = &l
	return &s
}

// rootfsMounts returns the rootfs descriptors, or a bind of spec.Root.Path
// when there are none.
func rootfsMounts(id string, ms []api.Mount, spec *specs.Spec) ([]api.Mount, error) {
	if len(ms) > 0 {
		return ms, nil
	}
	if spec.Root != nil && filepath.IsAbs(spec.Root.Path) {
		return []api.Mount{{Type: "bind", Source: spec.Root.Path, Target: "/", Options: []string{"rbind"}}}, nil
	}
	return nil, api.Errorf(api.ErrInvalidArgument, "", "container %s has no root filesystem mounts", id)
}

// nsinitMounts copies mount descriptors into the init's own type.
func nsinitMounts(ms []api.Mount) []nsinit.Mount {
	out := make([]nsinit.Mount, 0, len(ms))
	for _, m := range ms {
		out = append(out, nsinit.Mount{Type: m.Type, Source: m.Source, Target: m.Target, Options: m.Options})
	}
	return out
}

// cInitConfig is the container's configuration for the C init
// (nsinit/cinit_linux.c), which spares the init the Go runtime's start and
// the JSON decode, or nil for the Go init: without cgo, with option
// c_init=false, or when a string has a NUL byte or a limit is unknown
// (which the Go init refuses in its own words).
func (b *Backend) cInitConfig(cfg *nsinit.Config) []byte {
	if !b.cInitOn() {
		return nil
	}
	data, err := nsinit.EncodeCInit(cfg)
	if err != nil {
		return nil
	}
	return data
}

// spawn starts rrun-nsinit in new namespaces with the container's
// stdio, the control socket as fd 3 and, with a terminal, the console
// channel as fd 4. Nothing of the init depends on the plugin once it runs
// the command: no parent-death signal, no fd of ours but the control
// socket, which is close-on-exec in the init. flags are the spec's clone
// flags; with spareOK the init may be a spare for them (spareFits); with
// cinit it is the C init where it can be (container.cinit).
func (b *Backend) spawn(req api.CreateRequest, spec *specs.Spec, dir string, flags uintptr, spareOK, cinit bool) (*container, *os.File, error) {
	if err := os.MkdirAll(filepath.Join(dir, "rootfs"), 0o700); err != nil {
		return nil, nil, fmt.Errorf("failed to create run dir of container %s: %w", req.ID, err)
	}
	files, err := childFilesFor(req.ID, req.Stdio)
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	defer files.close()
	cgroup, err := cgroupDir(spec)
	if err != nil {
		files.close()
		os.RemoveAll(dir)
		return nil, nil, err
	}
	if spareOK {
		if sp := b.takeSpare(flags); sp != nil {
			c, err := b.handSpare(sp, req, files, dir, cgroup, cinit)
			if err == nil {
				files.conn.Close() // the spare has its own control socket
				api.TraceSince(fmt.Sprintf("native: init %d taken from the spares", c.init.Pid), time.Now())
				return c, files.console, nil
			}
			b.log.Debug("spare init not used", "container", req.ID, "error", err)
		}
	}
	pidfd := -1 // a pidfd of the init from clone itself: it cannot name another process
	attr := &syscall.SysProcAttr{Cloneflags: flags, Setsid: true, PidFD: &pidfd}
	userNSAttr(spec, attr)
	env := files.env() // nothing of the plugin's environment leaks in
	if cinit {
		env = append(env, nsinit.CInitEnv+"=1")
	}
	cmd := &exec.Cmd{
		Path:  b.initPath,
		Args:  nsinitArgs(false),
		Env:   env,
		Stdin: files.stdio[0], Stdout: files.stdio[1], Stderr: files.stdio[2],
		ExtraFiles:  files.extra(),
		SysProcAttr: attr,
	}
	mark := b.reaper.Mark()
	tstart := time.Now()
	if err := cmd.Start(); err != nil {
		files.conn.Close()
		files.closeConsole()
		os.RemoveAll(dir)
		return nil, nil, fmt.Errorf("failed to start init of container %s: %w", req.ID, err)
	}
	c := &container{id: req.ID, dir: dir, cgroup: cgroup, conn: files.conn, status: api.StatusCreated, execs: map[string]*proc{},
		enc: json.NewEncoder(files.conn), dec: json.NewDecoder(files.conn), cinit: cinit}
	c.init = b.track(cmd.Process.Pid, pidfdFile(pidfd), mark, req.Stdio.Terminal, func() { b.saveLogged(c) })
	if api.Tracing() {
		api.TraceSince(fmt.Sprintf("native: init started at %d", tstart.UnixNano()), tstart)
	}
	_ = cmd.Process.Release() // the reaper reaps the init; this frees os/exec's handle and cannot fail
	// The init runs nothing of the container's before its spec arrives, so
	// joining here puts every process of the container in the cgroup.
	if err := joinCgroup(cgroup, c.init.Pid); err != nil {
		c.destroy()
		return nil, nil, err
	}
	return c, files.console, nil
}

// awaitReady sends the init its configuration (cinit, EncodeCInit's
// bytes of cfg, to a C init), runs meanwhile while the init sets up, and
// waits until it is set up. The namespaces a spare makes are filled in.
func (b *Backend) awaitReady(ctx context.Context, c *container, cfg nsinit.Config, cinit []byte, meanwhile func() error) error {
	stop := context.AfterFunc(ctx, func() { c.conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	cfg.Unshare = c.unshare
	var err error
	switch {
	case !c.cinit:
		err = c.enc.Encode(cfg)
	case cfg.Unshare != 0:
		if cinit, err = nsinit.EncodeCInit(&cfg); err == nil { // the same strings: it cannot fail now
			_, err = c.conn.Write(cinit)
		}
	default:
		_, err = c.conn.Write(cinit)
	}
	if err != nil {
		return c.initFailure(ctx, err)
	}
	if err := meanwhile(); err != nil {
		return err
	}
	m, err := next(c.dec, b.initLog(c.id))
	switch {
	case err != nil:
		return c.initFailure(ctx, err)
	case m.Type == nsinit.MsgReady:
		return nil
	case m.Type == nsinit.MsgError:
		return api.Errorf(api.ErrFailedPrecondition, "", "failed to create container %s: %s", c.id, m.Message)
	}
	return fmt.Errorf("failed to create container %s: unexpected message %q from init", c.id, m.Type)
}

// initFailure explains a broken control socket during Create.
func (c *container) initFailure(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("failed to create container %s: %w", c.id, ctx.Err())
	}
	if errors.Is(err, io.EOF) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) {
		<-c.init.Done()
		st, _ := c.init.status()
		return fmt.Errorf("failed to create container %s: init exited (code %d) before it was ready", c.id, st.Code)
	}
	return fmt.Errorf("failed to create container %s: %w", c.id, err)
}

func (b *Backend) initLog(id string) func(string) {
	return func(line string) {
		if strings.HasPrefix(line, "trace: ") {
			api.TraceSince("native: "+strings.TrimPrefix(line, "trace: "), time.Now())
			return
		}
		b.log.Debug(line, "container", id)
	}
}

// saveLogged saves c's state from a goroutine that has nobody to tell.
func (b *Backend) saveLogged(c *container) {
	if err := c.save(); err != nil {
		b.log.Debug("state not saved", "container", c.id, "error", err)
	}
}

func (b *Backend) isSingleIDMap() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.singleIDMap
}

// cInitOn reports whether inits are set up in C (option c_init).
func (b *Backend) cInitOn() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.cInit
}

// socketPair returns the plugin's end as a conn (for deadlines) and the
// init's end as a file to inherit.
func socketPair() (*net.UnixConn, *os.File, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, err
	}
	parent := os.NewFile(uintptr(fds[0]), "init-control")
	defer parent.Close()
	fc, err := net.FileConn(parent)
	if err != nil {
		unix.Close(fds[1])
		return nil, nil, err
	}
	return fc.(*net.UnixConn), os.NewFile(uintptr(fds[1]), "init-control"), nil
}

// pidfdFile wraps the pidfd clone returned; nil when the kernel gave none
// (-1), and then the reaper opens one.
func pidfdFile(fd int) *os.File {
	if fd < 0 {
		return nil
	}
	return os.NewFile(uintptr(fd), "pidfd")
}
