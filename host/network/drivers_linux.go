package network

import (
	"fmt"
	"io"

	rknetwork "github.com/rootless-containers/rootlesskit/v3/pkg/network"
	"github.com/rootless-containers/rootlesskit/v3/pkg/network/pasta"
	"github.com/rootless-containers/rootlesskit/v3/pkg/network/slirp4netns"
	"github.com/rootless-containers/rootlesskit/v3/pkg/port"
	"github.com/rootless-containers/rootlesskit/v3/pkg/port/builtin"
)

// ParentSide is what rootlesskit's parent needs to give a session the
// plan's network: the network driver, the port driver and the ports.
type ParentSide struct {
	Net     rknetwork.ParentDriver // nil: the session keeps the user's network namespace
	Port    port.ParentDriver      // nil: pasta forwards the ports itself
	Publish []port.Spec
}

// ParentSide builds the rootlesskit parent's drivers for the plan's mode.
// Only the private modes have any; log receives the drivers' chatter.
func (p *Plan) ParentSide(stateDir string, log io.Writer) (ParentSide, error) {
	switch p.Mode {
	case ModePasta:
		tcp, udp := splitProto(p.Ports)
		side := ParentSide{Net: &pastaDriver{ports: tcp}}
		return side, side.builtinPorts(stateDir, udp, log)
	case ModeSlirp4netns:
		return slirpParentSide(stateDir, p.Ports, log)
	}
	return ParentSide{}, nil
}

// splitProto separates TCP from UDP ports. pasta forwards TCP itself; the
// Debian pasta (2023-03) loses the replies of UDP that comes from the
// host's loopback, so UDP goes through rootlesskit's builtin port driver.
func splitProto(ms []Mapping) (tcp, udp []Mapping) {
	for _, m := range ms {
		if m.Proto == "udp" {
			udp = append(udp, m)
		} else {
			tcp = append(tcp, m)
		}
	}
	return tcp, udp
}

// builtinPorts publishes ports with rootlesskit's builtin port driver: the
// parent listens on the host and its child dials 127.0.0.1 in the
// namespace for each connection (or datagram flow).
func (side *ParentSide) builtinPorts(stateDir string, ports []Mapping, log io.Writer) error {
	if len(ports) == 0 {
		return nil
	}
	var err error
	if side.Port, err = builtin.NewParentDriver(log, stateDir, false, ""); err != nil {
		return fmt.Errorf("failed to set up the port driver: %w", err)
	}
	for _, m := range ports {
		side.Publish = append(side.Publish, port.Spec{Proto: m.Proto, ParentIP: m.HostIP, ParentPort: m.HostPort, ChildPort: m.ContainerPort})
	}
	return nil
}

// slirpParentSide is slirp4netns with rootlesskit's builtin port driver,
// which FACTS.md measured answering 55 ms after start. The container can
// reach the host's loopback at 10.0.2.2 (host.containers.internal).
func slirpParentSide(stateDir string, ports []Mapping, log io.Writer) (ParentSide, error) {
	feat, err := slirp4netns.DetectFeatures("slirp4netns")
	if err != nil {
		return ParentSide{}, fmt.Errorf("failed to run slirp4netns (fix: sudo apt-get install slirp4netns): %w", err)
	}
	nd, err := slirp4netns.NewParentDriver(log, "slirp4netns", 65520, nil, "tap0", false, "",
		feat.SupportsEnableSandbox, feat.SupportsEnableSeccomp && feat.KernelSupportsEnableSeccomp, false)
	if err != nil {
		return ParentSide{}, fmt.Errorf("failed to set up slirp4netns: %w", err)
	}
	side := ParentSide{Net: nd}
	return side, side.builtinPorts(stateDir, ports, log)
}

// ChildSide is the rootlesskit child's half of a mode's drivers (the child
// learns the mode from its parent's environment; it has no plan).
func ChildSide(mode string, withPorts bool, log io.Writer) (rknetwork.ChildDriver, port.ChildDriver) {
	var nd rknetwork.ChildDriver
	switch mode {
	case ModePasta:
		nd = pasta.NewChildDriver()
	case ModeSlirp4netns:
		nd = slirp4netns.NewChildDriver()
	default:
		return nil, nil
	}
	if withPorts {
		return nd, builtin.NewChildDriver(log)
	}
	return nd, nil
}

// PastaWithAllPorts is pasta forwarding every published port itself, for a
// session without a rootlesskit child to run the builtin port driver (the
// single-uid path); UDP from the host's loopback then gets no replies from
// the Debian pasta (see splitProto).
func (p *Plan) PastaWithAllPorts() rknetwork.ParentDriver { return &pastaDriver{ports: p.Ports} }
