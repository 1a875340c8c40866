package session

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rootless-containers/rootlesskit/v3/pkg/parent"
	"github.com/rootless-containers/rootlesskit/v3/pkg/port"
	slirpport "github.com/rootless-containers/rootlesskit/v3/pkg/port/slirp4netns"

	"github.com/rrun-project/rrun/host/network"
	"github.com/rrun-project/rrun/host/trace"
)

// withNetwork gives rootlesskit's parent the drivers of a private network
// and tells the child (through its environment) which mode to run.
func withNetwork(opt *parent.Opt, net *network.Plan) error {
	os.Unsetenv(envNetMode)
	os.Unsetenv(envNetPorts)
	if net == nil || !network.Private(net.Mode) {
		return nil
	}
	side, err := net.ParentSide(opt.StateDir, io.Discard)
	if err != nil {
		return err
	}
	opt.NetworkDriver, opt.PortDriver, opt.PublishPorts = side.Net, side.Port, side.Publish
	os.Setenv(envNetMode, net.Mode)
	if side.Port != nil {
		os.Setenv(envNetPorts, "1")
	}
	return nil
}

// singleNetwork connects the network namespace of a single-uid session
// (pid) with pasta or slirp4netns, run by this process as rootlesskit's
// parent would; there is no rootlesskit child to configure the interface,
// so slirp4netns configures it (--configure) and publishes ports through
// its API socket. A non-nil link is returned (to Stop) even with an error.
//
// Its state dir is locked like rootlesskit's, so that when this process is
// killed a later rrun finds the dir stale and kills the pasta left in it.
func singleNetwork(runDir string, net *network.Plan, pid int) (*network.Link, error) {
	dir, owner, unlock, err := lockedStateDir(runDir)
	if err != nil {
		return nil, err
	}
	link := &network.Link{Dir: dir, Lock: owner}
	if net.Mode == network.ModePasta {
		_, cleanup, err := net.PastaWithAllPorts().ConfigureNetwork(pid, dir, "")
		link.Stop = func() { _ = cleanup(); os.RemoveAll(dir); unlock(); releaseOwnerLock(owner) }
		link.Helper = pastaPID(dir)
		return link, err
	}
	cleanup, helper, err := singleSlirp(dir, net.Ports, pid)
	link.Stop, link.Helper = func() { cleanup(); unlock(); releaseOwnerLock(owner) }, helper
	return link, err
}

// lockedStateDir makes a network helper's state dir, with its owner lock
// and rootlesskit's lock held (see singleNetwork); unlock drops the
// latter.
func lockedStateDir(runDir string) (dir string, owner *os.File, unlock func(), err error) {
	dir, owner, err = newStateDir(runDir)
	if err != nil {
		return "", nil, nil, err
	}
	lk, err := parent.LockStateDir(dir)
	if err != nil {
		os.RemoveAll(dir)
		return "", nil, nil, err
	}
	return dir, owner, func() { _ = lk.Unlock() }, nil
}

// pastaPID is the pid pasta (in the foreground: this process's child)
// wrote into dir, 0 when unknown.
func pastaPID(dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, network.PastaPIDFile))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

func singleSlirp(dir string, ports []network.Mapping, pid int) (func(), int, error) {
	sock := filepath.Join(dir, "slirp.sock")
	readyR, readyW, err := os.Pipe()
	if err != nil {
		return func() { os.RemoveAll(dir) }, 0, err
	}
	defer readyR.Close()
	cmd := exec.Command("slirp4netns", "--configure", "--mtu=65520", "-r", "3", "--api-socket", sock, strconv.Itoa(pid), "tap0")
	cmd.ExtraFiles = []*os.File{readyW}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	err = cmd.Start()
	readyW.Close()
	cleanup := func() {
		if cmd.Process != nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		os.RemoveAll(dir)
	}
	if err != nil {
		return cleanup, 0, fmt.Errorf("failed to start slirp4netns: %w", err)
	}
	helper := cmd.Process.Pid
	_ = readyR.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := readyR.Read(make([]byte, 1)); err != nil {
		return cleanup, helper, fmt.Errorf("slirp4netns did not get ready: %w", err)
	}
	return cleanup, helper, slirpPorts(sock, ports)
}

// slirpPorts publishes ports through slirp4netns's API socket sock.
func slirpPorts(sock string, ports []network.Mapping) error {
	if len(ports) == 0 {
		return nil
	}
	d, err := slirpport.NewParentDriver(io.Discard, sock)
	if err != nil {
		return err
	}
	for _, m := range ports {
		spec := port.Spec{Proto: m.Proto, ParentIP: m.HostIP, ParentPort: m.HostPort, ChildPort: m.ContainerPort, ChildIP: network.ContainerIP}
		if _, err := d.AddPort(context.Background(), spec); err != nil {
			return fmt.Errorf("failed to publish %s: %w", m, err)
		}
	}
	return nil
}

// waitNetwork is the single-uid session's side of singleNetwork: it waits
// until the CLI closed the ready pipe (the network is up) and brings up lo.
func waitNetwork() {
	fd, err := strconv.Atoi(os.Getenv(envNetWaitFD))
	if err != nil {
		return
	}
	os.Unsetenv(envNetWaitFD)
	f := os.NewFile(uintptr(fd), "network-ready")
	_, _ = io.Copy(io.Discard, f)
	f.Close()
	loopbackUp()
}

// enterJoined starts the session in the user and network namespaces of
// another container's process (--network container:NAME): a network
// namespace can only be joined from the user namespace that owns it. The
// session gets its own mount and pid namespaces. nsenter (util-linux, as
// rootlesskit uses it) does the setns, which a Go process cannot do for a
// user namespace; unshare makes the session pid 1 of a new pid namespace.
func enterJoined(pid int) (int, error) {
	self, err := os.Executable()
	if err != nil {
		return 0, fmt.Errorf("failed to find the rrun binary: %w", err)
	}
	ns := "/proc/" + strconv.Itoa(pid) + "/ns/"
	args := []string{"--user=" + ns + "user", "--net=" + ns + "net", "--preserve-credentials", "--",
		"unshare", "--mount", "--pid", "--fork", "--kill-child", "--propagation", "private", "--",
		self, SessionArg}
	cmd := exec.Command("nsenter", append(args, os.Args[1:]...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("failed to join the network of pid %d (is util-linux installed?): %w", pid, err)
	}
	stop := forwardSignals(cmd.Process)
	defer stop()
	return exitCodeOf(cmd.Wait())
}

// AttachNetwork connects the network namespace of pid (a container's init,
// made by the isolation backend inside the holder's user namespace) with
// the plan's private network, from this joined process, which is in the
// holder's user namespace but the user's own network namespace: pasta or
// slirp4netns are started against pid exactly as for a single-uid session
// (singleNetwork: a locked state dir whose pasta a later rrun kills when
// this process is killed). pasta forwards TCP ports; UDP ports are relayed
// by this process (network.ForwardUDP, Link.Relays), as rootlesskit's
// builtin port driver does on the cold path. The isolation backend brings
// lo up itself, as for --network none. The helper is started by the
// calling thread, with Pdeathsig: lock the goroutine to its thread
// (runtime.LockOSThread) if this process execs later, or the helper dies
// with the thread. Call the link's Stop once the container has exited.
func AttachNetwork(runDir string, net *network.Plan, pid int) (*network.Link, error) {
	var udp []network.Mapping
	if net.Mode == network.ModePasta {
		net, udp = net.WithoutUDP()
	}
	link, err := singleNetwork(runDir, net, pid)
	if err != nil {
		if link != nil {
			link.Stop()
		}
		return nil, fmt.Errorf("failed to connect the container's network (%s): %w", net.Mode, err)
	}
	return relayUDP(link, udp, pid)
}

// relayUDP adds to link the relays of pasta's published UDP ports, into
// the network namespace of pid; the link is stopped when they fail.
func relayUDP(link *network.Link, udp []network.Mapping, pid int) (*network.Link, error) {
	if len(udp) == 0 {
		return link, nil
	}
	stopUDP, err := network.ForwardUDP(udp, pid)
	if err != nil {
		link.Stop()
		return nil, err
	}
	stop := link.Stop
	link.Stop, link.Relays = func() { stopUDP(); stop() }, true
	return link, nil
}

// StartNetwork begins to connect the plan's network before its container
// exists: it makes a network namespace and starts pasta on it, without
// waiting, and returns the namespace's path for the runtime spec (the
// isolation backend joins it: api.CapIsolationNetNSPath) and Connect,
// which waits for pasta once the container is created. pasta's start
// (~20 ms, most of it its own CPU) then runs beside the rootfs's
// preparation and the container's creation, no longer after them. Other
// modes return nil: AttachNetwork connects them after Create. The
// calling thread is pasta's parent thread, as for AttachNetwork.
func StartNetwork(runDir string, net *network.Plan) (*network.Pending, error) {
	if net.Mode != network.ModePasta || os.Geteuid() != 0 {
		return nil, nil
	}
	net, udp := net.WithoutUDP()
	failed := func(err error) error {
		return fmt.Errorf("failed to connect the container's network (%s): %w", net.Mode, err)
	}
	n := takeSpareNetwork(runDir, net)
	if n == nil {
		var err error
		if n, err = launchNetwork(runDir, net, "pasta"); err != nil {
			return nil, failed(err)
		}
	}
	p := &network.Pending{Path: n.path}
	p.Connect = func(pid int) (*network.Link, error) {
		defer n.ns.Close()
		stop, err := n.ready()
		trace.Mark("pasta ready")
		if err != nil {
			n.release()
			return nil, failed(err)
		}
		link := &network.Link{Dir: n.dir, Lock: n.owner, Helper: pastaPID(n.dir), Stop: func() { stop(); n.release() }}
		return relayUDP(link, udp, pid)
	}
	p.Abort = n.abort
	return p, nil
}

// startedNetwork is a network namespace with a pasta launched on it: its
// state dir (locked by owner), and ready, which waits for pasta.
type startedNetwork struct {
	runDir, path string // path: the namespace as the runtime spec names it
	ns, owner    *os.File
	dir          string
	unlock       func()
	ready        func() (stop func(), err error)
	alive        func() bool
	bin          string // a spare's pasta (RefreshSpareNetwork)
	started      time.Time
}

// spareMaxAge bounds how long a spare network waits for a run: pasta
// reads the host's DNS servers and routes when it starts, which a laptop
// that changed networks meanwhile no longer has.
const spareMaxAge = time.Minute

// stale says whether a spare network is older than spareMaxAge or than
// the host's /etc/resolv.conf (where pasta read the DNS servers it
// forwards to).
func (n *startedNetwork) stale() bool {
	if time.Since(n.started) > spareMaxAge {
		return true
	}
	st, err := os.Stat(hostResolvConf)
	return err == nil && st.ModTime().After(n.started)
}

// hostResolvConf is the host's resolver configuration (a variable for the
// tests).
var hostResolvConf = "/etc/resolv.conf"

// launchNetwork makes a network namespace and launches pasta (bin, as
// Plan.LaunchPasta takes it) on it for net (its TCP ports), without
// waiting for it.
func launchNetwork(runDir string, net *network.Plan, bin string) (*startedNetwork, error) {
	self, err := os.Readlink("/proc/self") // this pid as /proc numbers it
	if err != nil {
		return nil, err
	}
	ns, err := newNetNS()
	if err != nil {
		return nil, err
	}
	dir, owner, unlock, err := lockedStateDir(runDir)
	if err != nil {
		ns.Close()
		return nil, err
	}
	n := &startedNetwork{runDir: runDir, path: fmt.Sprintf("/proc/%s/fd/%d", self, ns.Fd()), ns: ns, owner: owner, dir: dir, unlock: unlock,
		started: time.Now()}
	if n.ready, n.alive, err = net.LaunchPasta(bin, ns, dir); err != nil {
		ns.Close()
		n.release()
		return nil, err
	}
	return n, nil
}

func (n *startedNetwork) release() { os.RemoveAll(n.dir); n.unlock(); releaseOwnerLock(n.owner) }

// abort stops pasta (waiting for it) when no container was connected.
func (n *startedNetwork) abort() {
	n.ns.Close()
	if stop, err := n.ready(); err == nil {
		stop()
	}
	n.release()
}

// Spare networks. Most of a warm pasta run's wait was pasta's start
// (~20 ms of its own CPU on a quiet machine, far more when it waits for
// a CPU). So a pre-started rrun (cmd/rrun/prefork.go), while it waits for
// a command, makes the network namespace and pasta that StartNetwork
// would make for a container without published TCP ports, when the last
// warm run of the user connected pasta (spareNetMarker): a run it then
// serves takes them, already configured. pasta is its child (Pdeathsig),
// as when the run starts it, so a spare that no command takes ends with
// the process. The price: one idle pasta (~20 MB resident) per idle
// pre-started process of a user who runs pasta containers.
var spare struct {
	mu     sync.Mutex
	net    *startedNetwork
	locked bool // the goroutine of RefreshSpareNetwork keeps its thread
}

// SpareNetFile, in a spare network's state dir, says that no container
// uses its pasta yet.
const SpareNetFile = "spare"

// spareNetMarker, in the run dir, holds the pasta program (its absolute
// path) the last warm container with a private network connected; it is
// absent when that container's network was another.
const spareNetMarker = "pasta-used"

// NoteNetwork records whether a warm container connects pasta (a plan of
// mode pasta), and which pasta: that decides whether later pre-started
// rrun processes, which have no PATH of their own, make a spare network.
func NoteNetwork(runDir string, net *network.Plan) {
	marker := filepath.Join(runDir, spareNetMarker)
	if net == nil || net.Mode != network.ModePasta {
		_ = os.Remove(marker) // none there: nothing to do
		return
	}
	bin, err := exec.LookPath("pasta")
	if err != nil || !filepath.IsAbs(bin) {
		_ = os.Remove(marker) // the run says what is missing
		return
	}
	if old, _ := os.ReadFile(marker); string(old) != bin {
		_ = os.WriteFile(marker, []byte(bin), 0o600) // not written: no spare, as before
	}
}

// RefreshSpareNetwork makes a spare network in runDir when the last warm
// container with a private network connected pasta and there is none,
// stops the spare when that container's network was another, and makes
// a stale one (spareMaxAge, the host's resolv.conf) anew. It runs
// in a pre-started rrun before it serves a command, when it starts and
// every second while it waits (uid 0 of the holder's user namespace,
// where StartNetwork makes networks), whose environment is empty: the
// marker names the pasta to run.
//
// pasta dies with the thread that started it (Pdeathsig), and a detached
// monitor execs rrun-monitor from its own thread, ending every other: so
// before it starts pasta, RefreshSpareNetwork locks the calling goroutine
// to its thread while a spare may live (ReleaseSpareThread), and the
// command must run on that goroutine. Not before: a locked goroutine
// costs a run ~2 ms (each wake-up is handed to its own thread), which only
// a run that takes a spare earns back.
func RefreshSpareNetwork(runDir string) {
	if os.Geteuid() != 0 {
		return
	}
	spare.mu.Lock()
	have := spare.net
	spare.mu.Unlock()
	b, err := os.ReadFile(filepath.Join(runDir, spareNetMarker))
	bin := string(b)
	if have != nil {
		if err == nil && bin == have.bin && !have.stale() {
			return
		}
		dropSpare(true) // then made anew, unless the marker is gone
	}
	if err != nil || !filepath.IsAbs(bin) || filepath.Base(bin) != "pasta" {
		return
	}
	if !spare.locked {
		runtime.LockOSThread() // unlocked only once no spare is left: ReleaseSpareThread
		spare.locked = true
	}
	n, err := launchNetwork(runDir, &network.Plan{Mode: network.ModePasta}, bin)
	if err != nil {
		return // the run starts its own, and says what fails
	}
	n.bin = bin
	_ = os.WriteFile(filepath.Join(n.dir, SpareNetFile), nil, 0o600) // for a reader of the state dirs only
	spare.mu.Lock()
	spare.net = n
	spare.mu.Unlock()
}

// ReleaseSpareThread gives the calling goroutine's thread back to Go when
// RefreshSpareNetwork locked it and no spare network is left on it (a
// command took it, or it was dropped): a pre-started process that serves
// again locks it anew when it makes the next spare. Call it on the
// goroutine RefreshSpareNetwork runs on.
func ReleaseSpareThread() {
	spare.mu.Lock()
	defer spare.mu.Unlock()
	if spare.locked && spare.net == nil {
		runtime.UnlockOSThread()
		spare.locked = false
	}
}

// takeSpareNetwork returns the spare network for net when it fits (no
// TCP ports to publish, the same run dir, the pasta this command's PATH
// finds) and its pasta still runs.
func takeSpareNetwork(runDir string, net *network.Plan) *startedNetwork {
	if len(net.Ports) > 0 {
		return nil
	}
	spare.mu.Lock()
	n := spare.net
	spare.net = nil
	spare.mu.Unlock()
	if n == nil {
		return nil
	}
	if bin, _ := exec.LookPath("pasta"); n.runDir != runDir || n.bin != bin {
		go n.abort() // not this command's: nothing else will take it
		return nil
	}
	if !n.alive() || n.stale() {
		go n.abort() // not on this run's path: pasta's exit waits for the kernel
		return nil
	}
	_ = os.Remove(filepath.Join(n.dir, SpareNetFile))
	trace.Mark("spare network taken")
	return n
}

// DropSpareNetwork removes the state dir of a spare network no command
// took, before this process exits (pasta dies with it: Pdeathsig).
func DropSpareNetwork() { dropSpare(false) }

// dropSpare forgets the spare network and removes its state dir; with
// stop, it stops its pasta first.
func dropSpare(stop bool) {
	spare.mu.Lock()
	n := spare.net
	spare.net = nil
	spare.mu.Unlock()
	switch {
	case n == nil:
	case stop:
		go n.abort() // a client that comes meanwhile does not wait for pasta's exit
	default:
		n.release()
	}
}

// newNetNS makes a network namespace in this process's user namespace and
// returns it open. A thread that left the user's own network namespace
// cannot go back (the initial user namespace owns that one), and a thread
// that ends sends SIGKILL to every child it started with a parent-death
// signal (an isolation plugin, pasta): so one thread of the process makes
// them all and is never given back to Go (makeNetNSes). It stays in the
// last namespace it made until the next one or the process's end (an
// exec, a foreground run's exit), holding no more than a reference to it.
func newNetNS() (*os.File, error) {
	netNSMaker.once.Do(func() {
		netNSMaker.req = make(chan chan<- netNS)
		go makeNetNSes(netNSMaker.req, true)
	})
	reply := make(chan netNS, 1)
	netNSMaker.req <- reply
	r := <-reply
	return r.f, r.err
}

var netNSMaker struct {
	once sync.Once
	req  chan chan<- netNS
}

type netNS struct {
	f   *os.File
	err error
}

// makeNetNSes serves newNetNS on the thread it locks for good. Not on the
// main thread, whose namespaces are /proc/self's: when its goroutine runs
// there, it keeps that thread (asleep) and serves from a goroutine that
// therefore runs on another.
func makeNetNSes(req <-chan chan<- netNS, mayMove bool) {
	runtime.LockOSThread()
	if unix.Gettid() == unix.Getpid() && mayMove {
		go makeNetNSes(req, false)
		select {}
	}
	for reply := range req {
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			reply <- netNS{err: fmt.Errorf("failed to create a network namespace: %w", err)}
			continue
		}
		f, err := os.Open("/proc/thread-self/ns/net")
		reply <- netNS{f, err}
	}
}
