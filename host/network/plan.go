package network

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/rrun-project/rrun/host/atomicfile"
)

// PlanVersion is the on-disk format of a plan; bump it on a change older
// rrun binaries would misread.
const PlanVersion = 1

// Addresses of the private networks (slirp4netns's defaults; rrun gives
// pasta the same ones).
const (
	ContainerIP = "10.0.2.100"
	GatewayIP   = "10.0.2.2" // the host, as seen from the container
	DNSIP       = "10.0.2.3" // slirp4netns's and pasta's DNS forwarder
)

// Plan is one start of a container's network, decided by the CLI before the
// session starts and read by the session that builds the container: the
// mode, the published ports with their host ports chosen, and where the
// container's /etc/hosts and /etc/resolv.conf are.
type Plan struct {
	Version int       `json:"version"`
	Mode    string    `json:"mode"`
	Target  string    `json:"target,omitempty"`   // container: the id of the container sharing its network
	Shares  string    `json:"shares,omitempty"`   // container: the mode of the container whose network is shared
	JoinPID int       `json:"join_pid,omitempty"` // container: the host pid whose namespaces the session joins
	Ports   []Mapping `json:"ports,omitempty"`
	Dir     string    `json:"dir"` // holds hosts, resolv.conf and network.json
}

// planFile is the plan's name in a container's directory.
const planFile = "network.json"

// HostsPath and ResolvConfPath are the files bind-mounted into the container.
func (p *Plan) HostsPath() string      { return filepath.Join(p.Dir, "hosts") }
func (p *Plan) ResolvConfPath() string { return filepath.Join(p.Dir, "resolv.conf") }
func (p *Plan) HostnamePath() string   { return filepath.Join(p.Dir, "hostname") }

// Save writes the plan atomically into p.Dir.
func (p *Plan) Save() error {
	p.Version = PlanVersion
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return fmt.Errorf("failed to encode the network plan: %w", err)
	}
	if err := atomicfile.Replace(filepath.Join(p.Dir, planFile), b, 0o644); err != nil {
		return fmt.Errorf("failed to write the network plan: %w", err)
	}
	return nil
}

// Load reads the plan saved in dir. A missing plan is (nil, nil): the
// container was never started by an rrun that plans networks.
func Load(dir string) (*Plan, error) {
	var p Plan
	empty := false
	err := atomicfile.Read(filepath.Join(dir, planFile), func(b []byte) error {
		p, empty = Plan{}, len(b) == 0 // a recycled container dir's, before its first start
		if empty {
			return nil
		}
		return json.Unmarshal(b, &p)
	})
	if os.IsNotExist(err) || (err == nil && empty) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("failed to read the network plan %s: %w", filepath.Join(dir, planFile), err)
	}
	if p.Version > PlanVersion {
		return nil, fmt.Errorf("the network plan in %s has version %d; this rrun reads up to %d", dir, p.Version, PlanVersion)
	}
	p.Dir = dir
	return &p, nil
}

// writeEtc writes one of the container's /etc files in place: nothing
// runs in the container while its start writes them, and a recycled
// container dir's file keeps its inode (atomicfile says why).
func writeEtc(path string, data []byte) error {
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("failed to write %s: %w", path, err)
	}
	return nil
}
