package network

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/rootless-containers/rootlesskit/v3/pkg/api"
	"github.com/rootless-containers/rootlesskit/v3/pkg/messages"
)

// pastaDriver is a rootlesskit network.ParentDriver for pasta that forwards
// the published ports itself (-t/-u HOST:CONTAINER), so that -p 8080:80
// works and a port answers as soon as pasta returns. rootlesskit's own pasta
// driver only offers "implicit" forwarding (the same port number, found by
// scanning every second).
type pastaDriver struct {
	ports []Mapping
}

// PastaPIDFile is pasta's pid file in a session's state dir. pasta runs
// in the foreground as the child of the process that started it, which
// kills it when the session or the container ends and whose death kills it
// too (startPasta); the pid file says when pasta is ready, and lets a later
// rrun that finds the state dir stale kill a pasta that still runs (one
// started by an older rrun, which let pasta daemonize).
const PastaPIDFile = "pasta.pid"

const pastaMTU = 65520

func (d *pastaDriver) Info(context.Context) (*api.NetworkDriverInfo, error) {
	return &api.NetworkDriverInfo{Driver: ModePasta, DNS: []net.IP{net.ParseIP(DNSIP)}, ChildIP: net.ParseIP(ContainerIP)}, nil
}

func (d *pastaDriver) MTU() int { return pastaMTU }

// pastaArgs are pasta's options: rootlesskit's addresses, the published
// ports, and no forwarding from the namespace's loopback to the host's (the
// container's 127.0.0.1 is its own; the host is host.containers.internal).
func pastaArgs(ports []Mapping, pidFile string, childPID int) []string {
	args := []string{"-q", "--config-net", "--ns-ifname=tap0", "--mtu=" + strconv.Itoa(pastaMTU),
		"--address=" + ContainerIP, "--netmask=24", "--gateway=" + GatewayIP, "--dns-forward=" + DNSIP,
		"--ipv4-only", "-T", "none", "-U", "none", "--pid", pidFile}
	var tcp, udp int
	for _, m := range ports {
		spec := fmt.Sprintf("%d:%d", m.HostPort, m.ContainerPort)
		if m.HostIP != "" {
			spec = m.HostIP + "/" + spec
		}
		flag := "-t"
		if m.Proto == "udp" {
			flag, udp = "-u", udp+1
		} else {
			tcp++
		}
		args = append(args, flag, spec)
	}
	if tcp == 0 {
		args = append(args, "-t", "none")
	}
	if udp == 0 {
		args = append(args, "-u", "none")
	}
	if os.Geteuid() == 0 {
		// uid 0 of the holder's user namespace (the warm path): pasta
		// may not open the init's namespaces itself; it is given the
		// network namespace as its fd 3 (see ConfigureNetwork) and stays
		// in its own user namespace, which owns that one.
		return append(args, "--netns", "/proc/self/fd/3", "--runas", "0:0")
	}
	return append(args, strconv.Itoa(childPID))
}

func (d *pastaDriver) ConfigureNetwork(childPID int, stateDir, detachedNetNSPath string) (*messages.ParentInitNetworkDriverCompleted, func() error, error) {
	if detachedNetNSPath != "" {
		return nil, nil, errors.New("rrun's pasta driver does not support a detached network namespace")
	}
	pidFile := filepath.Join(stateDir, PastaPIDFile)
	cmd := exec.Command("pasta", append([]string{"-f"}, pastaArgs(d.ports, pidFile, childPID)...)...)
	if os.Geteuid() == 0 {
		ns, err := os.Open("/proc/" + strconv.Itoa(childPID) + "/ns/net")
		if err != nil {
			return nil, noCleanup, fmt.Errorf("failed to open the network namespace of pid %d: %w", childPID, err)
		}
		defer ns.Close()
		cmd.ExtraFiles = []*os.File{ns}
	}
	stop, err := startPasta(cmd, pidFile)
	if err != nil {
		return nil, noCleanup, err
	}
	return &messages.ParentInitNetworkDriverCompleted{
		Dev: "tap0", IP: ContainerIP, Netmask: 24, Gateway: GatewayIP, DNS: []string{DNSIP}, MTU: pastaMTU,
	}, func() error { stop(); return nil }, nil
}

func noCleanup() error { return nil }

// LaunchPasta starts pasta (bin: a path, or "pasta" to look it up in
// PATH) for the plan's ports (all of them: see WithoutUDP) on the network
// namespace ns, an nsfs file this process
// keeps open until ready returns, from uid 0 of the holder's user
// namespace (the warm path: pasta gets ns as its fd 3, as
// ConfigureNetwork gives it the init's). It does not wait for pasta:
// ready does, and returns the func that stops it; alive says, without
// waiting, whether pasta has not exited. The calling thread is pasta's
// parent thread (Pdeathsig), as with ConfigureNetwork.
func (p *Plan) LaunchPasta(bin string, ns *os.File, stateDir string) (ready func() (stop func(), err error), alive func() bool, err error) {
	pidFile := filepath.Join(stateDir, PastaPIDFile)
	cmd := exec.Command(bin, append([]string{"-f"}, pastaArgs(p.Ports, pidFile, 0)...)...)
	cmd.Args[0] = "pasta" // its command line as when PATH finds it, whatever bin is
	cmd.ExtraFiles = []*os.File{ns}
	if ready, err = launchPasta(cmd, pidFile); err != nil {
		return nil, nil, err
	}
	return ready, func() bool { return cmd.Process.Signal(syscall.Signal(0)) == nil }, nil
}

// pastaMessage drops the syslog complaints the Debian pasta prints when
// there is no syslog.
func pastaMessage(out []byte) string {
	var keep []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if !strings.HasPrefix(l, "Failed to send") && l != "" {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "; ")
}

// KillPasta ends the pasta whose pid is in pidFile, if that process still
// is a pasta.
func KillPasta(pidFile string) {
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 {
		return
	}
	// pasta makes itself non-dumpable: its exe link is unreadable, its
	// comm is not.
	comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if !strings.HasPrefix(string(comm), "pas") { // pasta, passt, passt.avx2
		return
	}
	_ = syscall.Kill(pid, syscall.SIGTERM)
	_ = os.Remove(pidFile)
}
