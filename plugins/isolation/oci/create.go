package oci

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/plugins/api"
)

// validID is what the backend accepts as container and exec ids: they
// name files and runtime containers.
var validID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// Create makes the bundle and runs `runtime create`.
func (b *Backend) Create(ctx context.Context, req api.CreateRequest) (int, error) {
	spec, err := parseSpec(req.SpecJSON)
	if err != nil {
		return 0, err
	}
	dir, rt, err := b.reserve(ctx, req.ID)
	if err != nil {
		return 0, err
	}
	c, err := b.create(ctx, rt, dir, req, spec)
	b.mu.Lock()
	defer b.mu.Unlock()
	if err != nil {
		delete(b.containers, req.ID)
		return 0, err
	}
	b.containers[req.ID] = c
	return c.init.pid, nil
}

// reserve claims id for a Create in progress and returns its directory.
func (b *Backend) reserve(ctx context.Context, id string) (string, *runtime, error) {
	if !validID.MatchString(id) {
		return "", nil, api.Errorf(api.ErrInvalidArgument, "", "invalid container id %q", id)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.rt == nil {
		return "", nil, api.Errorf(api.ErrFailedPrecondition, "", "isolation oci: not configured")
	}
	dir := filepath.Join(b.runDir, id)
	_, inUse := b.containers[id]
	if _, err := os.Stat(dir); inUse || err == nil {
		return "", nil, api.Errorf(api.ErrAlreadyExists, "", "container %s already exists", id)
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		return "", nil, fmt.Errorf("failed to create the directory of container %s: %w", id, err)
	}
	b.containers[id] = nil
	return dir, b.rt, nil
}

// create runs the steps of Create; on error it leaves nothing behind.
func (b *Backend) create(ctx context.Context, rt *runtime, dir string, req api.CreateRequest, spec *specs.Spec) (_ *container, err error) {
	c := &container{id: req.ID, dir: dir, execs: map[string]*proc{}}
	defer func() {
		if err != nil {
			_ = rt.run(context.Background(), stdio{}, "delete", "--force", req.ID) // nothing to delete if create failed early
			unmountAll(c.meta.Mounted)
			os.RemoveAll(dir)
		}
	}()
	root, mounted, err := rootfsDir(dir, req.Rootfs)
	c.meta.Mounted = mounted
	if err != nil {
		return nil, err
	}
	if err := checkCommand(root, spec.Process, spec.Mounts); err != nil {
		return nil, err
	}
	c.meta.Cgroup = runtimeSpec(spec, root, req.Stdio.Terminal)
	rt = rt.managing(c.meta.Cgroup)
	if err := writeBundle(dir, spec); err != nil {
		return nil, err
	}
	pidFile := filepath.Join(dir, "init.pid")
	args := []string{"create", "--bundle", dir, "--pid-file", pidFile}
	mark := b.reaper.Mark()
	pid, master, err := b.runWithStdio(ctx, rt, req.Stdio, args, req.ID)
	if err != nil {
		return nil, commandError(err, spec.Process.Args[0])
	}
	c.init = newProc(pid, req.Stdio.Terminal, master)
	c.meta.Pid, c.meta.Terminal = pid, req.Stdio.Terminal
	if err := c.save(); err != nil {
		c.init.closeMaster()
		return nil, err
	}
	c.init.watch(b.reaper, mark, func() { c.recordExit("", c.init) })
	return c, nil
}

// runWithStdio runs a runtime create or exec (args, then id) with the
// process's stdio opened from paths, or with a terminal relayed to the
// host, and returns the pid the runtime wrote to the --pid-file of args
// and the plugin's copy of the pty master.
func (b *Backend) runWithStdio(ctx context.Context, rt *runtime, s api.Stdio, args []string, id string) (int, *os.File, error) {
	pidFile := args[len(args)-1]
	var fds stdio
	var relay *consoleRelay
	if s.Terminal {
		var err error
		if relay, err = listenConsole(); err != nil {
			return 0, nil, err
		}
		defer relay.close()
		args = append(args, "--console-socket", relay.path())
	} else {
		var err error
		if fds, err = openStdio(s); err != nil {
			return 0, nil, err
		}
		defer fds.close() // the process has its own copies: keep none, or the host never sees EOF
	}
	extra, err := openExtra(s.ExtraFiles)
	if err != nil {
		return 0, nil, err
	}
	defer closeFiles(extra)
	if len(extra) > 0 {
		args = append(args, "--preserve-fds", strconv.Itoa(len(extra)))
	}
	if err := rt.runKeeping(ctx, fds, extra, append(args, id)...); err != nil {
		return 0, nil, err
	}
	pid, err := readPid(pidFile)
	if err != nil || relay == nil {
		return pid, nil, err
	}
	master, err := takeMaster(relay, s.ConsoleSocket)
	return pid, master, err
}

// openStdio opens the stdio paths: stdin for reading, stdout and stderr
// for appending; an empty path is /dev/null.
func openStdio(s api.Stdio) (stdio, error) {
	var fds stdio
	paths := [3]string{s.Stdin, s.Stdout, s.Stderr}
	for i, p := range paths {
		if p == "" {
			continue
		}
		flags := os.O_WRONLY | os.O_APPEND
		if i == 0 {
			flags = os.O_RDONLY
		}
		f, err := os.OpenFile(p, flags, 0)
		if err != nil {
			fds.close()
			return stdio{}, api.Errorf(api.ErrInvalidArgument, "", "failed to open stdio %s: %v", p, err)
		}
		fds[i] = f
	}
	return fds, nil
}

// openExtra opens the preserved fds by path with the host's flags (never
// creating or truncating); the runtime passes them on with --preserve-fds.
func openExtra(extra []api.ExtraFile) ([]*os.File, error) {
	const allowed = unix.O_ACCMODE | unix.O_APPEND | unix.O_NONBLOCK | unix.O_PATH | unix.O_DIRECTORY | unix.O_NOFOLLOW
	files := make([]*os.File, 0, len(extra))
	for i, e := range extra {
		f, err := os.OpenFile(e.Path, e.Flags&allowed, 0)
		if err != nil {
			closeFiles(files)
			return nil, api.Errorf(api.ErrInvalidArgument, "", "failed to open preserved fd %d (%s): %v", 3+i, e.Path, err)
		}
		files = append(files, f)
	}
	return files, nil
}

func closeFiles(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}

func (s stdio) close() {
	for _, f := range s {
		if f != nil {
			f.Close()
		}
	}
}

func readPid(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("the runtime wrote no pid file: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		return 0, errors.New("the runtime wrote an invalid pid file")
	}
	return pid, nil
}
