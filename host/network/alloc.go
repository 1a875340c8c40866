package network

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// PortTakenError is a host port that something else holds.
type PortTakenError struct {
	Mapping Mapping
	Cause   error
}

func (e *PortTakenError) Error() string {
	return fmt.Sprintf("cannot publish %s: host port %s/%s is already in use", e.Mapping.Key(), e.Mapping.HostAddr(), e.Mapping.Proto)
}

func (e *PortTakenError) Unwrap() error { return e.Cause }

// Allocate checks each host port by binding it (so that a taken one fails
// before the container starts) and picks a free port for those without one.
// The check releases the ports: the session's port driver binds them again
// a few milliseconds later.
func Allocate(ms []Mapping) ([]Mapping, error) {
	out := make([]Mapping, len(ms))
	for i, m := range ms {
		port, err := bindOnce(m)
		if err != nil {
			return nil, portError(m, err)
		}
		m.HostPort = port
		out[i] = m
	}
	return out, nil
}

// bindOnce binds m's host side and returns the port it got.
func bindOnce(m Mapping) (int, error) {
	addr := m.HostAddr()
	if m.Proto == "udp" {
		c, err := net.ListenPacket("udp", addr)
		if err != nil {
			return 0, err
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port, nil
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func portError(m Mapping, err error) error {
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return &PortTakenError{Mapping: m, Cause: err}
	case errors.Is(err, syscall.EACCES) && m.HostPort < unprivilegedPortStart():
		return fmt.Errorf("cannot publish %s on host port %d: ports below %d need privilege (fix: choose a port >= %d, or sudo sysctl -w net.ipv4.ip_unprivileged_port_start=%d)",
			m.Key(), m.HostPort, unprivilegedPortStart(), unprivilegedPortStart(), m.HostPort)
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return fmt.Errorf("cannot publish %s on %s: the host has no such address", m.Key(), m.HostAddr())
	}
	return fmt.Errorf("failed to bind host port %s/%s: %w", m.HostAddr(), m.Proto, err)
}

func unprivilegedPortStart() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start")
	if err != nil {
		return 1024
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 1024
	}
	return n
}
