package monitor

import (
	"encoding/json"
	"fmt"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// An exec that rrun-monitor would hand to a new `rrun __monitor ID --exec`
// can be served by the rrun exec process itself when it is in the same
// namespaces (joined to the same holder): the same ServeExec, without a
// process start. The client then talks to ServeExec over a socket pair,
// exactly as it would to the delegate.

// DelegatesExec reports whether c's monitor serves an exec by starting a
// delegate and runs in this process's user and mount namespaces, so that
// this process may serve the exec itself.
func (c *Client) DelegatesExec() bool {
	resp, err := c.Call(Request{Op: OpPing})
	if err != nil || !resp.DelegatesExec {
		return false
	}
	raw, err := c.conn.SyscallConn()
	if err != nil {
		return false
	}
	var cred *unix.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) { cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED) }); err != nil || cerr != nil {
		return false
	}
	return sameNamespaces(int(cred.Pid))
}

// sameNamespaces reports whether pid is in this process's user and mount
// namespaces (false when that cannot be read).
func sameNamespaces(pid int) bool {
	for _, ns := range []string{"user", "mnt"} {
		mine, err1 := os.Readlink("/proc/self/ns/" + ns)
		its, err2 := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, ns))
		if err1 != nil || err2 != nil || mine != its {
			return false
		}
	}
	return true
}

// ExecPair makes a connected pair of monitor sockets: the client end, and
// the server end with the exec request r encoded for ServeExec.
func ExecPair(r Request) (*Client, *net.UnixConn, []byte, error) {
	r.Version = ProtocolVersion
	req, err := json.Marshal(r)
	if err != nil {
		return nil, nil, nil, err
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("failed to make an exec socket pair: %w", err)
	}
	ends := make([]*net.UnixConn, 2)
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "exec-pair")
		c, err := net.FileConn(f)
		f.Close() // FileConn dups it
		if err != nil {
			if i == 0 {
				unix.Close(fds[1])
			} else {
				ends[0].Close()
			}
			return nil, nil, nil, fmt.Errorf("failed to adopt an exec socket: %w", err)
		}
		ends[i] = c.(*net.UnixConn)
	}
	return &Client{conn: ends[0]}, ends[1], req, nil
}
