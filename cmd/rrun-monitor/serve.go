package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/host/monitor/handoff"
)

// protocolVersion must equal host/monitor.ProtocolVersion (the wire shape
// of request and response below is host/monitor's Request and Response).
const protocolVersion = 1

var errNoStdin = errors.New("container has no stdin attached")

type request struct {
	Version int    `json:"version"`
	Op      string `json:"op"`
	Signal  int    `json:"signal,omitempty"`
	Timeout int    `json:"timeout,omitempty"`
	Width   uint   `json:"width,omitempty"`
	Height  uint   `json:"height,omitempty"`
	Data    []byte `json:"data,omitempty"`
}

type response struct {
	OK       bool   `json:"ok"`
	Error    string `json:"error,omitempty"`
	Hint     string `json:"hint,omitempty"`
	Kind     string `json:"kind,omitempty"`
	Exited   bool   `json:"exited,omitempty"`
	ExitCode int    `json:"exit_code"`
}

// serve accepts clients on the monitor socket until this process execs.
func (m *monitor) serve() {
	for {
		fd, _, err := unix.Accept4(m.st.Listener, unix.SOCK_CLOEXEC)
		if err == unix.EINTR || err == unix.ECONNABORTED {
			continue
		}
		if err != nil {
			return
		}
		go m.handle(fd)
	}
}

// handle answers the requests of one connection, one message each.
func (m *monitor) handle(conn int) {
	buf, oob := make([]byte, 64<<10), make([]byte, unix.CmsgSpace(256*4))
	for {
		n, oobn, _, _, err := unix.Recvmsg(conn, buf, oob, unix.MSG_CMSG_CLOEXEC)
		if err == unix.EINTR {
			continue
		}
		fds := rights(oob[:max(oobn, 0)])
		var req request
		if err != nil || n <= 0 || json.Unmarshal(buf[:n], &req) != nil {
			closeAll(fds)
			unix.Close(conn)
			return
		}
		if req.Version != protocolVersion {
			reply(conn, response{Error: fmt.Sprintf("monitor protocol %d, client %d", protocolVersion, req.Version),
				Hint: "use the same rrun binary for all commands", Kind: "failed-precondition"})
			closeAll(fds)
			unix.Close(conn)
			return
		}
		if req.Op == "exec" {
			m.delegateExec(conn, buf[:n], fds) // the delegate owns the connection now
			return
		}
		closeAll(fds)
		m.inflight.Add(1)
		reply(conn, m.dispatch(req))
		m.inflight.Done()
	}
}

func (m *monitor) dispatch(req request) response {
	switch req.Op {
	case "ping":
		return response{OK: true}
	case "kill":
		return result(m.kill(req.Signal))
	case "stop":
		m.stop(req.Timeout)
		return response{OK: true}
	case "wait":
		<-m.done
		return response{OK: true, Exited: true, ExitCode: m.exitCode()}
	case "resize":
		return result(m.resize(req.Width, req.Height))
	case "stdin":
		if err := m.writeStdin(req.Data); errors.Is(err, errNoStdin) {
			return response{Error: "container " + m.st.ID[:12] + " has no stdin attached", Hint: "run it with -i", Kind: "failed-precondition"}
		} else if err != nil {
			return result(fmt.Errorf("failed to write to the stdin of %s: %w", m.st.ID[:12], err))
		}
		return response{OK: true}
	}
	return response{Error: fmt.Sprintf("unknown monitor operation %q", req.Op), Kind: "invalid-argument"}
}

// delegateExec starts `rrun __monitor ID --exec` with the connection on
// fd 3 and the request's fds after it: it runs the exec through the warm
// isolation plugin and answers on the connection. It is reaped with the
// other children.
func (m *monitor) delegateExec(conn int, req []byte, fds []int) {
	files := []uintptr{0, 1, 2, uintptr(conn)}
	for _, fd := range fds {
		files = append(files, uintptr(fd))
	}
	env := append(os.Environ(), handoff.ExecRequestEnv+"="+string(req), "_RRUN_EXEC_FDS="+strconv.Itoa(len(fds)))
	argv := append(append([]string(nil), m.st.Rrun...), "__monitor", m.st.ID, "--exec")
	_, err := syscall.ForkExec(m.st.Rrun[0], argv, &syscall.ProcAttr{Env: env, Files: files})
	if err != nil {
		reply(conn, result(fmt.Errorf("failed to start the exec of %s: %w", m.st.ID[:12], err)))
	}
	closeAll(fds)
	unix.Close(conn)
}

func rights(oob []byte) []int {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil
	}
	var fds []int
	for i := range msgs {
		if f, err := unix.ParseUnixRights(&msgs[i]); err == nil {
			fds = append(fds, f...)
		}
	}
	return fds
}

func closeAll(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}

func reply(conn int, r response) {
	data, _ := json.Marshal(r) // plain fields: cannot fail
	_, _ = unix.Write(conn, data)
}

func result(err error) response {
	if err != nil {
		return response{Error: err.Error(), Kind: "internal"}
	}
	return response{OK: true}
}
