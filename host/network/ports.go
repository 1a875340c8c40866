package network

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Mapping is one published port: HostIP:HostPort on the host goes to
// ContainerPort in the container. HostPort 0 means "any free port" until
// Allocate picks one.
type Mapping struct {
	HostIP        string `json:"host_ip,omitempty"` // "" = every address (0.0.0.0)
	HostPort      int    `json:"host_port"`
	ContainerPort int    `json:"container_port"`
	Proto         string `json:"proto"` // tcp or udp
}

// Key is docker's name of the container side, e.g. "80/tcp".
func (m Mapping) Key() string { return fmt.Sprintf("%d/%s", m.ContainerPort, m.Proto) }

// HostAddr is the host side, e.g. "0.0.0.0:8080".
func (m Mapping) HostAddr() string {
	ip := m.HostIP
	if ip == "" {
		ip = "0.0.0.0"
	}
	return net.JoinHostPort(ip, strconv.Itoa(m.HostPort))
}

// String is docker's `docker port` line: "80/tcp -> 0.0.0.0:8080".
func (m Mapping) String() string { return m.Key() + " -> " + m.HostAddr() }

// ParsePublish reads one -p value, [ip:][hostPort:]containerPort[/proto],
// where both ports may be ranges of the same length (8000-8001:80-81).
func ParsePublish(s string) ([]Mapping, error) {
	rest, proto, _ := strings.Cut(s, "/")
	switch proto {
	case "":
		proto = "tcp"
	case "tcp", "udp":
	default:
		return nil, fmt.Errorf("invalid protocol %q in %q: use tcp or udp", proto, s)
	}
	ip, hostPart, ctrPart, err := splitPublish(rest)
	if err != nil {
		return nil, fmt.Errorf("invalid port mapping %q: %w", s, err)
	}
	ctrLo, ctrHi, err := portRange(ctrPart, false)
	if err != nil {
		return nil, fmt.Errorf("invalid container port in %q: %w", s, err)
	}
	hostLo, hostHi, err := portRange(hostPart, true)
	if err != nil {
		return nil, fmt.Errorf("invalid host port in %q: %w", s, err)
	}
	if hostLo != 0 && hostHi-hostLo != ctrHi-ctrLo {
		return nil, fmt.Errorf("invalid port mapping %q: the host and container ranges differ in length", s)
	}
	var out []Mapping
	for p := ctrLo; p <= ctrHi; p++ {
		m := Mapping{HostIP: ip, ContainerPort: p, Proto: proto}
		if hostLo != 0 {
			m.HostPort = hostLo + p - ctrLo
		}
		out = append(out, m)
	}
	return out, nil
}

// splitPublish splits [ip:][hostPort:]containerPort; an IPv6 address is
// written in brackets.
func splitPublish(s string) (ip, host, ctr string, err error) {
	if strings.HasPrefix(s, "[") {
		end := strings.Index(s, "]:")
		if end < 0 {
			return "", "", "", fmt.Errorf("unclosed [ in the address")
		}
		ip, s = s[1:end], s[end+2:]
		host, ctr, ok := strings.Cut(s, ":")
		if !ok {
			return "", "", "", fmt.Errorf("want [ip]:hostPort:containerPort")
		}
		return ip, host, ctr, checkIP(ip)
	}
	parts := strings.Split(s, ":")
	switch len(parts) {
	case 1:
		return "", "", parts[0], nil
	case 2:
		return "", parts[0], parts[1], nil
	case 3:
		return parts[0], parts[1], parts[2], checkIP(parts[0])
	}
	return "", "", "", fmt.Errorf("too many colons")
}

func checkIP(ip string) error {
	if net.ParseIP(ip) == nil {
		return fmt.Errorf("%q is not an IP address", ip)
	}
	return nil
}

// portRange reads "80" or "80-82". An empty host side is 0 (any port).
func portRange(s string, optional bool) (lo, hi int, err error) {
	if s == "" && optional {
		return 0, 0, nil
	}
	a, b, isRange := strings.Cut(s, "-")
	if lo, err = portNumber(a); err != nil {
		return 0, 0, err
	}
	hi = lo
	if isRange {
		if hi, err = portNumber(b); err != nil {
			return 0, 0, err
		}
		if hi < lo {
			return 0, 0, fmt.Errorf("range %s ends before it starts", s)
		}
	}
	return lo, hi, nil
}

// portNumber reads a port: decimal digits only (Atoi would take "+80",
// which docker refuses).
func portNumber(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || strings.TrimLeft(s, "0123456789") != "" || n < 1 || n > 65535 {
		return 0, fmt.Errorf("%q is not a port number (1-65535)", s)
	}
	return n, nil
}

// ParseExposed reads an image's ExposedPorts key, "80/tcp" or "53/udp".
func ParseExposed(key string) (Mapping, error) {
	ms, err := ParsePublish(key)
	if err != nil || len(ms) != 1 {
		return Mapping{}, fmt.Errorf("invalid exposed port %q", key)
	}
	return ms[0], nil
}

// ParseAddHost reads --add-host NAME:IP (docker also takes NAME=IP).
func ParseAddHost(s string) (name, ip string, err error) {
	sep := strings.IndexAny(s, ":=")
	if sep <= 0 {
		return "", "", fmt.Errorf("invalid --add-host %q: use NAME:IP", s)
	}
	name, ip = s[:sep], strings.Trim(s[sep+1:], "[]")
	if ip == "host-gateway" {
		return name, ip, nil
	}
	if net.ParseIP(ip) == nil {
		return "", "", fmt.Errorf("invalid --add-host %q: %q is not an IP address", s, ip)
	}
	return name, ip, nil
}
