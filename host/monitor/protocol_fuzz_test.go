package monitor

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/plugins/api"
)

// FuzzMonitorProtocol sends one message over a SOCK_SEQPACKET pair, as
// client and monitor do, optionally with three fds. The monitor's decoder
// returns the fds only with a request it could read, closes them
// otherwise, and reads a request that encodes back to itself; the
// client's decoder turns a failed response into an error with its hint.
func FuzzMonitorProtocol(f *testing.F) {
	for _, s := range []string{`{"version":1,"op":"ping"}`, `{"version":1,"op":"kill","signal":9}`,
		`{"version":1,"op":"exec","exec":{"args":["sh"],"env":[],"tty":true,"width":80,"height":24}}`,
		`{"version":1,"op":"stop","timeout":-1}`, `{"ok":false,"error":"boom","hint":"retry","kind":"not-found"}`,
		`{"ok":true,"started":true,"exit_code":3}`, `{"version":1e400}`, `{"op":"resize","width":-1}`, `[]`, ``} {
		f.Add([]byte(s), true)
	}
	toServer, server := seqpacketPair(f)
	toClient, client := seqpacketPair(f)
	f.Fuzz(func(t *testing.T, data []byte, withFds bool) {
		if len(data) > 64<<10 {
			data = data[:64<<10]
		}
		before := openFds(t)
		send(t, toServer, data, withFds)
		req, fds, err := readRequest(server)
		if err != nil && len(fds) > 0 || err == nil && withFds && len(fds) != 3 || !withFds && len(fds) > 0 {
			t.Fatalf("%q (fds %v): request error %v with fds %v", data, withFds, err, fds)
		}
		closeFds(fds)
		if after := openFds(t); after != before {
			t.Fatalf("%q (fds %v): %d fds open before, %d after", data, withFds, before, after)
		}
		if err == nil {
			checkRoundTrip(t, data, req)
		}
		send(t, toClient, data, false)
		resp, err := (&Client{conn: client}).Receive()
		var sent Response
		if json.Unmarshal(data, &sent) != nil {
			if err == nil {
				t.Fatalf("%q: unreadable, yet read as %+v", data, resp)
			}
			return
		}
		if (err == nil) != sent.OK || err != nil && (api.HintOf(err) != sent.Hint || !strings.Contains(err.Error(), sent.Error)) {
			t.Fatalf("%q: response %+v read as %+v, error %v", data, sent, resp, err)
		}
	})
}

// checkRoundTrip fails t unless req encodes to a message that decodes to
// the same encoding.
func checkRoundTrip(t *testing.T, data []byte, req Request) {
	t.Helper()
	enc, err := json.Marshal(req)
	if err != nil {
		t.Fatalf("%q: decoded %+v does not encode: %v", data, req, err)
	}
	var again Request
	if err := json.Unmarshal(enc, &again); err != nil {
		t.Fatalf("%q: %s does not decode: %v", data, enc, err)
	}
	if enc2, _ := json.Marshal(again); !bytes.Equal(enc, enc2) {
		t.Fatalf("%q: %s decodes to %s", data, enc, enc2)
	}
}

// seqpacketPair returns a socket to write raw messages on and the
// connection that reads them.
func seqpacketPair(f testing.TB) (int, *net.UnixConn) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		f.Fatal(err)
	}
	file := os.NewFile(uintptr(fds[1]), "peer")
	defer file.Close()
	c, err := net.FileConn(file)
	if err != nil {
		f.Fatal(err)
	}
	return fds[0], c.(*net.UnixConn)
}

func send(t *testing.T, fd int, data []byte, withFds bool) {
	t.Helper()
	var oob []byte
	if withFds {
		null, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(null)
		oob = unix.UnixRights(null, null, null)
	}
	if err := sendmsg(fd, data, oob); err != nil {
		t.Fatal(err)
	}
}

// sendmsg is sendmsg(2) as a client in any language can call it: unlike
// unix.Sendmsg, it sends an empty message with fds as it is.
func sendmsg(fd int, data, oob []byte) error {
	var msg unix.Msghdr
	var iov unix.Iovec
	if len(data) > 0 {
		iov.Base = &data[0]
		iov.SetLen(len(data))
		msg.Iov, msg.Iovlen = &iov, 1
	}
	if len(oob) > 0 {
		msg.Control = &oob[0]
		msg.SetControllen(len(oob))
	}
	_, _, errno := unix.Syscall(unix.SYS_SENDMSG, uintptr(fd), uintptr(unsafe.Pointer(&msg)), 0)
	if errno != 0 {
		return errno
	}
	return nil
}

func openFds(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}
