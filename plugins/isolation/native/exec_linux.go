package native

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/plugins/api"
	"github.com/rrun-project/rrun/plugins/isolation/native/nsinit"
)

// Exec starts a process in a running container: `rrun-nsinit __init exec`,
// which nsenter_linux.c moves into the init's namespaces before the Go
// runtime starts and clones as a child of the plugin. The pid returned is
// that child's, as the plugin sees it. With a terminal, the pty master has
// been sent to the console socket when Exec returns.
func (b *Backend) Exec(ctx context.Context, req api.ExecRequest) (int, error) {
	if !nsinit.NsenterBuilt {
		return 0, api.Errorf(api.ErrNotImplemented, "build rrun with CGO_ENABLED=1", "isolation native: exec needs a binary built with cgo")
	}
	if b.initErr != nil {
		return 0, b.initErr
	}
	c, err := b.get(req.ID)
	if err != nil {
		return 0, err
	}
	p, own, err := parseProcess(req.ID, req.ProcessJSON, initUserMaps(c.init.Pid), b.isSingleIDMap())
	if err != nil {
		return 0, err
	}
	if err := checkTerminal(req.ID, p, req.Stdio); err != nil {
		return 0, err
	}
	if err := c.reserveExec(req.ExecID); err != nil {
		return 0, err
	}
	pr, err := b.startExec(ctx, c, req, p, own)
	c.publishExec(req.ExecID, pr) // a failed exec stays, with 126 or 127, for Wait
	if err != nil {
		return 0, err
	}
	return pr.Pid, nil
}

// parseProcess decodes and checks an exec's process, and says which user
// it maps in a user namespace of its own (nil: none; see execOwnUser).
func parseProcess(id string, data []byte, maps *specs.Linux, singleIDMap bool) (*specs.Process, *specs.User, error) {
	var p specs.Process
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, nil, api.Errorf(api.ErrInvalidArgument, "", "invalid process for exec in container %s: %v", id, err)
	}
	if len(p.Args) == 0 || p.Args[0] == "" {
		return nil, nil, api.Errorf(api.ErrInvalidArgument, "", "exec in container %s has no command", id)
	}
	own := execOwnUser(p.User, maps, singleIDMap)
	if err := checkProcess(&p, execMaps(own, maps)); err != nil {
		return nil, nil, api.Errorf(api.ErrInvalidArgument, "", "exec in container %s: %v", id, err)
	}
	return &p, own, nil
}

// startExec runs the exec process and waits until it has exec'd its
// command. It returns the process whenever one was started.
func (b *Backend) startExec(ctx context.Context, c *container, req api.ExecRequest, p *specs.Process, own *specs.User) (*proc, error) {
	t0 := time.Now()
	defer api.TraceSince("native: exec started", t0)
	sec, err := readSeccomp(c.dir) // an exec gets the container's filter
	if err != nil {
		return nil, fmt.Errorf("failed to exec in container %s: %w", c.id, err)
	}
	files, err := childFilesFor(c.id, req.Stdio)
	if err != nil {
		return nil, err
	}
	defer files.closeConsole()
	defer files.conn.Close()
	cfg := nsinit.ExecConfig{Version: nsinit.ProtocolVersion, Process: p, Terminal: req.Stdio.Terminal, SingleIDMap: b.isSingleIDMap(), Seccomp: sec}
	cexec := cExecConfig(&cfg, own)
	mark := b.reaper.Mark()
	cmd, err := b.startNsenter(c, files, own, cexec != nil)
	files.close()
	api.TraceSince("native: exec: nsenter spawned", t0)
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { files.conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	dec, log := json.NewDecoder(files.conn), b.initLog(c.id)
	m, err := next(dec, log)
	_ = cmd.Wait() // nsenter exits once it has reported; what it said is what counts
	if err != nil || m.Type != nsinit.MsgPid {
		return nil, nsenterFailure(c.id, m, err)
	}
	// The exec process, a child of ours thanks to CLONE_PARENT, waits for
	// its configuration: it cannot have ended, so the pidfd opened now is
	// its own.
	api.TraceSince("native: exec: pid received", t0)
	pr := b.track(m.Pid, nil, mark, req.Stdio.Terminal, func() { b.saveLogged(c) })
	if err := sendExecConfig(files.conn, &cfg, cexec); err != nil {
		_ = pr.signal(unix.SIGKILL) // it cannot run without its configuration
		return pr, fmt.Errorf("failed to exec in container %s: %w", c.id, err)
	}
	api.TraceSince("native: exec: config sent", t0)
	if m, err = next(dec, log); !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET) {
		<-pr.Done() // it exits right after telling us
		if err != nil {
			return pr, fmt.Errorf("failed to exec in container %s: %w", c.id, err)
		}
		return pr, execFailure(c.id, m)
	}
	if files.console != nil {
		if err := handOverTerminal(ctx, pr, files.console, req.Stdio.ConsoleSocket); err != nil {
			pr.signal(unix.SIGKILL)
			return pr, err
		}
	}
	return pr, nil
}

// cExecConfig is the exec's configuration for the C exec path
// (nsinit/cexec_linux.c), which spares the exec process the Go runtime's
// start, or nil for the Go path: a terminal, or a user namespace of the
// exec's own, is set up in Go, and so is a string with a NUL byte (which
// the Go path refuses in its own words).
func cExecConfig(cfg *nsinit.ExecConfig, own *specs.User) []byte {
	if cfg.Terminal || own != nil {
		return nil
	}
	data, err := nsinit.EncodeCExec(cfg)
	if err != nil {
		return nil
	}
	return data
}

// sendExecConfig sends the C path's bytes or, without them, ExecConfig.
func sendExecConfig(w io.Writer, cfg *nsinit.ExecConfig, cexec []byte) error {
	if cexec != nil {
		_, err := w.Write(cexec)
		return err
	}
	return json.NewEncoder(w).Encode(cfg)
}

// startNsenter starts the binary with _RRUN_NSENTER naming a pidfd of the
// container's init (fd 5), the namespaces to join and, when the exec gets
// a user namespace of its own, the uid and gid to map there; with cexec,
// _RRUN_CEXEC asks for the C exec path.
func (b *Backend) startNsenter(c *container, files *childFiles, own *specs.User, cexec bool) (*exec.Cmd, error) {
	pidfd, flags, err := c.nsTarget()
	if err != nil {
		return nil, err
	}
	defer pidfd.Close()
	env := fmt.Sprintf("%s=%d:%d", nsinit.NsenterEnv, files.base()+nsinit.PidfdFd, flags)
	if own != nil {
		env += fmt.Sprintf(":%d:%d", own.UID, own.GID)
	}
	envs := append(files.env(), env)
	if cexec {
		envs = append(envs, nsinit.CExecEnv+"=1")
	}
	cmd := &exec.Cmd{
		Path:  b.initPath,
		Args:  nsinitArgs(true),
		Env:   envs,
		Stdin: files.stdio[0], Stdout: files.stdio[1], Stderr: files.stdio[2],
		ExtraFiles: append(files.extra(), pidfd),
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("failed to start exec in container %s: %w", c.id, err)
	}
	return cmd, nil
}

func nsenterFailure(id string, m nsinit.Message, err error) error {
	if err != nil {
		return fmt.Errorf("failed to exec in container %s: nsenter ended without a word: %w", id, err)
	}
	if m.Type == nsinit.MsgError {
		return api.Errorf(api.ErrFailedPrecondition, "", "failed to exec in container %s: %s", id, m.Message)
	}
	return fmt.Errorf("failed to exec in container %s: unexpected message %q", id, m.Type)
}
