package monitor

import (
	"context"
	"testing"

	"golang.org/x/sys/unix"
)

// TestRequestFdsClosed: fds sent with a request other than exec (a ping,
// an unknown operation) are closed by the monitor, not kept open for as
// long as it runs.
func TestRequestFdsClosed(t *testing.T) {
	for _, op := range []string{OpPing, "nope"} {
		toServer, server := seqpacketPair(t)
		done := make(chan struct{})
		before := openFds(t)
		go func() {
			defer close(done)
			(&monitor{}).handle(context.Background(), server)
		}()
		send(t, toServer, []byte(`{"version":1,"op":"`+op+`"}`), true)
		reply := make([]byte, 4096)
		if _, err := readFd(toServer, reply); err != nil {
			t.Fatalf("%s: no reply: %v", op, err)
		}
		if after := openFds(t); after != before {
			t.Errorf("%s with 3 fds: %d fds open before, %d after", op, before, after)
		}
		closeFds([]int{toServer})
		<-done
	}
}

func readFd(fd int, buf []byte) (int, error) { return unix.Read(fd, buf) }
