package main

import (
	"errors"
	"os"
	"strconv"
	"syscall"

	"github.com/rrun-project/rrun/host/monitor/handoff"
)

// protocolVersion must equal host/monitor.ProtocolVersion (the wire shape
// of request and response below is host/monitor's Request and Response).
const protocolVersion = 1

var errNoStdin = errors.New("container has no stdin attached")

// request is host/monitor.Request, less what rrun-monitor does not read.
type request struct {
	Version int
	Op      string
	Signal  int
	Timeout int
	Width   uint
	Height  uint
	Data    []byte
}

// response is host/monitor.Response (see wire.go).
type response struct {
	OK       bool
	Delegate bool // ping: an exec is served by a process of the client's (see DelegatesExec)
	Error    string
	Hint     string
	Kind     string
	Exited   bool
	ExitCode int
}

// serve accepts clients on the monitor socket until this process execs.
func (m *monitor) serve() {
	for {
		fd, _, err := syscall.Accept4(m.st.Listener, syscall.SOCK_CLOEXEC)
		if err == syscall.EINTR || err == syscall.ECONNABORTED {
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
	buf, oob := make([]byte, 64<<10), make([]byte, syscall.CmsgSpace(256*4))
	for {
		n, oobn, _, _, err := syscall.Recvmsg(conn, buf, oob, syscall.MSG_CMSG_CLOEXEC)
		if err == syscall.EINTR {
			continue
		}
		fds := rights(oob[:max(oobn, 0)])
		if err != nil || n <= 0 {
			closeAll(fds)
			syscall.Close(conn)
			return
		}
		req, err := parseRequest(buf[:n])
		if err != nil {
			closeAll(fds)
			syscall.Close(conn)
			return
		}
		if req.Version != protocolVersion {
			reply(conn, response{Error: "monitor protocol " + strconv.Itoa(protocolVersion) + ", client " + strconv.Itoa(req.Version),
				Hint: "use the same rrun binary for all commands", Kind: "failed-precondition"})
			closeAll(fds)
			syscall.Close(conn)
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
		return response{OK: true, Delegate: true}
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
			return result(errors.New("failed to write to the stdin of " + m.st.ID[:12] + ": " + err.Error()))
		}
		return response{OK: true}
	}
	return response{Error: "unknown monitor operation " + strconv.Quote(req.Op), Kind: "invalid-argument"}
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
		reply(conn, result(errors.New("failed to start the exec of "+m.st.ID[:12]+": "+err.Error())))
	}
	closeAll(fds)
	syscall.Close(conn)
}

func rights(oob []byte) []int {
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return nil
	}
	var fds []int
	for i := range msgs {
		if f, err := syscall.ParseUnixRights(&msgs[i]); err == nil {
			fds = append(fds, f...)
		}
	}
	return fds
}

func closeAll(fds []int) {
	for _, fd := range fds {
		syscall.Close(fd)
	}
}

func reply(conn int, r response) {
	_, _ = syscall.Write(conn, r.encode())
}

func result(err error) response {
	if err != nil {
		return response{Error: err.Error(), Kind: "internal"}
	}
	return response{OK: true}
}
