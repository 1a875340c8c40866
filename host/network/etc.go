package network

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"
)

// hostsName is the name containers reach the host by (podman's), with
// docker's alias.
const hostsName = "host.containers.internal host.docker.internal"

// effectiveMode is the mode whose addresses the container sees: for
// container:NAME, the shared container's.
func (p *Plan) effectiveMode() string {
	if p.Mode == ModeContainer {
		return p.Shares
	}
	return p.Mode
}

// hostAddr is the host's address from inside the container, "" when the
// container cannot reach it.
func (p *Plan) hostAddr() string {
	switch m := p.effectiveMode(); {
	case Private(m):
		return GatewayIP
	case m == ModeHost:
		return "127.0.0.1"
	}
	return ""
}

// Hosts is the container's /etc/hosts: localhost, its hostname, the host
// and the --add-host entries (host-gateway is the host's address).
func (p *Plan) Hosts(hostname string, addHosts []string) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")
	self := "127.0.1.1"
	if Private(p.effectiveMode()) {
		self = ContainerIP
	}
	if hostname != "" {
		fmt.Fprintf(&b, "%s\t%s\n", self, hostname)
	}
	host := p.hostAddr()
	if host != "" {
		fmt.Fprintf(&b, "%s\t%s\n", host, hostsName)
	}
	for _, h := range addHosts {
		name, ip, err := ParseAddHost(h)
		if err != nil {
			return nil, err
		}
		if ip == "host-gateway" {
			if host == "" {
				return nil, fmt.Errorf("--add-host %s: this container cannot reach the host (network %s)", h, p.effectiveMode())
			}
			ip = host
		}
		fmt.Fprintf(&b, "%s\t%s\n", ip, name)
	}
	return b.Bytes(), nil
}

// ResolvConf is the container's /etc/resolv.conf: the private networks'
// DNS forwarder (which asks the host's resolvers), or the host's own file
// for host and none; --dns replaces the nameservers, the host's search and
// options lines are kept.
func (p *Plan) ResolvConf(hostFile []byte, dns []string) []byte {
	var keep, servers []string
	sc := bufio.NewScanner(bytes.NewReader(hostFile))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if f := strings.Fields(line); len(f) > 1 && f[0] == "nameserver" {
			servers = append(servers, f[1])
		} else if len(f) > 0 && (f[0] == "search" || f[0] == "options" || f[0] == "domain") {
			keep = append(keep, line)
		}
	}
	if Private(p.effectiveMode()) {
		servers = []string{DNSIP}
	}
	if len(dns) > 0 {
		servers = dns
	}
	var b strings.Builder
	for _, s := range servers {
		b.WriteString("nameserver " + s + "\n")
	}
	for _, l := range keep {
		b.WriteString(l + "\n")
	}
	return []byte(b.String())
}

// WriteEtc writes the container's hosts and resolv.conf into p.Dir. They
// are bind-mounted read-write, as docker does: the container may edit its
// copy, and the next start writes them anew.
func (p *Plan) WriteEtc(hostname string, addHosts, dns []string) error {
	hosts, err := p.Hosts(hostname, addHosts)
	if err != nil {
		return err
	}
	if err := writeEtc(p.HostsPath(), hosts); err != nil {
		return err
	}
	if err := writeEtc(p.HostnamePath(), []byte(hostname+"\n")); err != nil {
		return err
	}
	hostResolv, _ := os.ReadFile("/etc/resolv.conf")
	return writeEtc(p.ResolvConfPath(), p.ResolvConf(hostResolv, dns))
}
