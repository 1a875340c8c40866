package network

import (
	"fmt"
	"io"
	"net"
	"runtime"
	"strconv"

	"github.com/rootless-containers/rootlesskit/v3/pkg/port/builtin/parent/udp/udpproxy"
	"golang.org/x/sys/unix"
)

// WithoutUDP is a copy of the plan whose ports are its TCP ports only, and
// the UDP ports it left out.
func (p *Plan) WithoutUDP() (*Plan, []Mapping) {
	tcp, udp := splitProto(p.Ports)
	c := *p
	c.Ports = tcp
	return &c, udp
}

// ForwardUDP publishes UDP ports of the network namespace of pid from this
// process, which is in the user's network namespace: it listens on each
// host port and relays every client's datagrams through a socket of its
// own made in the container's namespace and connected to 127.0.0.1 there
// (what rootlesskit's builtin port driver does with a child in the
// namespace; pasta's own UDP forwarding loses replies to the host's
// loopback, see splitProto). The returned func stops relaying.
func ForwardUDP(ms []Mapping, pid int) (func(), error) {
	nsfd, err := unix.Open("/proc/"+strconv.Itoa(pid)+"/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("failed to open the network namespace of pid %d: %w", pid, err)
	}
	var proxies []*udpproxy.UDPProxy
	stop := func() {
		for _, p := range proxies {
			p.Close()
		}
		unix.Close(nsfd)
	}
	for _, m := range ms {
		l, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.ParseIP(m.HostIP), Port: m.HostPort})
		if err != nil {
			stop()
			return nil, fmt.Errorf("failed to publish %s: %w", m, err)
		}
		backend := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: m.ContainerPort}
		p := &udpproxy.UDPProxy{LogWriter: io.Discard, Listener: l, BackendDial: func() (*net.UDPConn, error) {
			return dialUDPIn(nsfd, backend)
		}}
		proxies = append(proxies, p)
		go p.Run()
	}
	return stop, nil
}

// dialUDPIn makes a UDP socket in the network namespace nsfd, connected to
// addr there: a socket keeps the namespace it was made in.
func dialUDPIn(nsfd int, addr *net.UDPAddr) (*net.UDPConn, error) {
	type result struct {
		c   *net.UDPConn
		err error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		own, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			done <- result{err: fmt.Errorf("failed to open this thread's network namespace: %w", err)}
			return
		}
		defer unix.Close(own)
		if err := unix.Setns(nsfd, unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			done <- result{err: fmt.Errorf("failed to enter the container's network namespace: %w", err)}
			return
		}
		c, err := net.DialUDP("udp4", nil, addr)
		if unix.Setns(own, unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread() // else the thread ends with this goroutine
		}
		done <- result{c, err}
	}()
	r := <-done
	return r.c, r.err
}
