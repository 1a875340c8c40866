package monitor

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/plugins/api"
)

// exec starts `rrun exec` in the container with the client's stdio (fds)
// and answers twice: started, then exited with the exit code (unless
// detached). Resize requests on the same connection go to this exec.
func (m *monitor) exec(ctx context.Context, cs *connState, req Request, fds []int) {
	if req.Exec == nil || len(req.Exec.Args) == 0 || len(fds) != 3+req.Exec.PreserveFds {
		closeFds(fds)
		reply(cs.conn, failure(api.Errorf(api.ErrInvalidArgument, "", "exec needs a command, three stdio fds and the preserved ones")))
		return
	}
	e := req.Exec
	if e.PreserveFds > 0 {
		if err := m.checkPreserveFds(ctx); err != nil {
			closeFds(fds)
			reply(cs.conn, failure(err))
			return
		}
	}
	proc, err := m.execProcess(e)
	if err != nil {
		closeFds(fds)
		reply(cs.conn, failure(err))
		return
	}
	execID := newExecID()
	io, err := m.execStdio(e, execID, fds)
	if err != nil {
		closeFds(fds)
		reply(cs.conn, failure(err))
		return
	}
	data, _ := json.Marshal(proc)
	if _, err := m.isolation().Exec(ctx, api.ExecRequest{ID: m.rec.ID, ExecID: execID, ProcessJSON: data, Stdio: io.spec}); err != nil {
		io.close()
		reply(cs.conn, failure(err))
		return
	}
	cs.execID = execID
	reply(cs.conn, Response{OK: true, Started: true})
	cs.wg.Add(1)
	go func() {
		defer cs.wg.Done()
		m.finishExec(ctx, cs, e, execID, io)
	}()
}

func (m *monitor) finishExec(ctx context.Context, cs *connState, e *Exec, execID string, io *execIO) {
	if master := io.terminal(); master != nil {
		if e.Width > 0 {
			_ = m.isolation().ResizePty(ctx, m.rec.ID, execID, e.Width, e.Height)
		}
		var in *os.File
		if e.Interactive {
			in = io.files[0]
		}
		io.ttyDone = relayTTY(master, in, io.files[1])
	}
	if e.Detach {
		io.close()
		go func() { _, _ = m.isolation().Wait(context.WithoutCancel(ctx), m.rec.ID, execID) }() // reap it
		return
	}
	st, err := m.isolation().Wait(ctx, m.rec.ID, execID)
	io.close()
	if err != nil {
		reply(cs.conn, failure(err))
		return
	}
	reply(cs.conn, Response{OK: true, Exited: true, ExitCode: st.Code})
}

// execProcess is the init's process with the exec's args, env, cwd, user
// and terminal.
func (m *monitor) execProcess(e *Exec) (*specs.Process, error) {
	base := m.prep.Spec.Process
	p := *base
	p.Args = e.Args
	p.Terminal = e.TTY
	p.ConsoleSize = nil
	if e.TTY && e.Width > 0 && e.Height > 0 {
		// The terminal has the user's size before the command's first
		// instruction (a resize after Exec would race with it).
		p.ConsoleSize = &specs.Box{Width: e.Width, Height: e.Height}
	}
	p.Env = append(append([]string{}, base.Env...), e.Env...)
	if e.Workdir != "" {
		p.Cwd = e.Workdir
	}
	if e.User != "" {
		u, err := container.ResolveUser(e.User, m.prep.Mounts)
		if err != nil {
			return nil, err
		}
		p.User = u
	}
	return &p, nil
}

// execIO is the stdio of one exec: the client's fds, named for the backend
// or through a pty whose master comes back over a console socket.
type execIO struct {
	stdio
	files []*os.File
}

func (m *monitor) execStdio(e *Exec, execID string, fds []int) (*execIO, error) {
	io := &execIO{}
	for i, fd := range fds {
		unix.CloseOnExec(fd)
		io.files = append(io.files, os.NewFile(uintptr(fd), fmt.Sprintf("exec-fd-%d", i)))
	}
	extra, err := container.NameExtraFiles(fds[3:])
	if err != nil {
		return nil, err // the caller closes fds
	}
	io.closers = append(io.closers, func() {
		for _, f := range io.files {
			f.Close()
		}
	})
	if e.TTY {
		path := filepath.Join(filepath.Dir(SocketPath(m.RunDir, m.rec.ID)), execID[:12]+".tty")
		cs, err := listenConsole(path)
		if err != nil {
			return nil, err
		}
		io.spec = api.Stdio{Terminal: true, ConsoleSocket: path, ExtraFiles: extra}
		io.masterCh = make(chan *os.File, 1)
		go func() { master, _ := cs.receive(); io.masterCh <- master }()
		io.closers = append(io.closers, cs.close)
		return io, nil
	}
	if e.Detach {
		// docker's exec -d attaches nothing: the client's stdio must not be
		// held open by a process that outlives the client (but the fds
		// it asked to preserve are passed).
		io.spec = api.Stdio{ExtraFiles: extra}
		return io, nil
	}
	stdin := -1
	if e.Interactive {
		stdin = fds[0]
	}
	spec, done, err := container.NameStdio(stdin, fds[1], fds[2])
	spec.ExtraFiles = extra
	io.spec = spec
	io.closers = append([]func(){done}, io.closers...)
	return io, err
}

func newExecID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
