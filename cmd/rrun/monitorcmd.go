package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/host/config"
	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/host/monitor"
	"github.com/rrun-project/rrun/host/network"
	"github.com/rrun-project/rrun/host/pluginmgr"
	"github.com/rrun-project/rrun/host/session"
	"github.com/rrun-project/rrun/host/session/join"
	"github.com/rrun-project/rrun/host/state"
	"github.com/rrun-project/rrun/host/trace"
	"github.com/rrun-project/rrun/plugins/api"
)

// monitorArg is the re-exec mode of a container's monitor.
const monitorArg = "__monitor"

// newMonitorCommand is `rrun __monitor ID [--attach]`: outside a session it
// enters one (becoming the session's rootlesskit parent), inside it owns
// the container until it exits.
func newMonitorCommand() *cobra.Command {
	var attach, execMode bool
	resume := -1
	cmd := &cobra.Command{
		Use: monitorArg + " ID", Hidden: true, Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if resume >= 0 || execMode {
				return runMonitorCallback(args[0], resume, execMode)
			}
			return runMonitor(args[0], attach)
		},
	}
	cmd.Flags().BoolVar(&attach, "attach", false, "run in the foreground on this process's stdio")
	cmd.Flags().IntVar(&resume, "resume", -1, "record the exit CODE of the container rrun-monitor owned")
	cmd.Flags().BoolVar(&execMode, "exec", false, "serve the exec request rrun-monitor passed on fd 3")
	return cmd
}

// ownerFDEnv names the fd of the container's owner lock that `run -d` and
// `start` pass to the detached monitor (see state.Owner).
const ownerFDEnv = "_RRUN_OWNER_FD"

// monitorOwner keeps the inherited owner lock for this process's life.
var monitorOwner *state.Owner

func runMonitor(id string, attach bool) error {
	adoptOwnerFD()
	if session.Inside() {
		// A monitor started by a joined `run -d` is no __session: it
		// reaps its container's orphans itself.
		_ = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) // __session set it already
	}
	cfg, store, err := openStore()
	if err != nil {
		return err
	}
	rec, err := store.Get(id)
	if err != nil {
		return err
	}
	cfg = withConfigOf(cfg, rec)
	net, err := network.Load(store.Dir(id))
	if err != nil {
		return err
	}
	if !session.Inside() {
		// A detached monitor: the CLI planned the network; the session gets it.
		if _, _, err := choosePlugins(newManager(cfg), cfg, needs{storage: true, isolation: true}); err != nil {
			return err
		}
		return enterContainerSession(cfg, nil, net)
	}
	ready := func(error) {}
	if !attach {
		ready = func(err error) { notifyReady(cfg.Dirs.Run, id, err) }
	}
	return monitorInSession(cfg, store, rec, net, attach, ready)
}

// monitorInSession is a monitor's part inside the session: it prepares,
// creates and starts the container, calls ready once it runs (or with the
// error that stopped it), and owns it until it exits, or hands it to
// rrun-monitor (then it never returns).
func monitorInSession(cfg config.Config, store *state.Store, rec state.Record, net *network.Plan, attach bool, ready func(error)) error {
	trace.Mark("monitor ready to start")
	if path, ok := wantsHandoff(attach, relaysUDP(net)); ok && session.Joined() {
		privateIsolation, smallMonitor = true, path
	}
	running := false
	err := inSessionEarly(cfg, func(ctx context.Context, mgr *pluginmgr.Manager, b *container.Backends) error {
		running = true
		return monitorContainer(ctx, cfg, store, mgr, b, rec, net, attach, ready)
	})
	if err != nil && !running {
		// The plugins did not come up: nothing was prepared for the
		// container. A run leaves no record; a started container stays.
		_ = abandonStart(store, rec, err)
		ready(err)
	}
	return err
}

// monitorContainer owns the container inside the session until it exits.
func monitorContainer(ctx context.Context, cfg config.Config, store *state.Store, mgr *pluginmgr.Manager, b *container.Backends,
	rec state.Record, net *network.Plan, attach bool, ready func(error)) error {
	deps := monitorDeps(cfg, store, mgr, b, net, attach)
	if label := rec.Options.Labels[slurmStepdLabel]; label != "" {
		deps.Settle = func() { settleStep(label) }
	}
	code, err := runWithPolicy(ctx, deps, rec, attach, ready)
	if err != nil {
		return err
	}
	if code != 0 {
		return exitCode(code)
	}
	return nil
}

// monitorDeps are what the monitor of a container with network plan net
// works with.
func monitorDeps(cfg config.Config, store *state.Store, mgr *pluginmgr.Manager, b *container.Backends,
	net *network.Plan, attach bool) monitor.Deps {
	deps := detachedDeps(cfg, store, mgr, b)
	deps.Spec.Network = net
	private := net != nil && network.Private(net.Mode)
	if smallMonitor != "" && !attach && !relaysUDP(net) {
		deps.Handoff, deps.IsolationPID = execSmallMonitor(smallMonitor), b.IsolationPID
	}
	if session.Joined() {
		session.NoteNetwork(cfg.Dirs.Run, net) // whether pre-started processes make a spare pasta network
	}
	if session.Joined() && private {
		// The warm path: this process is in the user's network namespace;
		// the container gets its own, connected once its init exists.
		deps.Spec.OwnNetNS = true
		deps.AttachNetwork = func(pid int) (*network.Link, error) { return session.AttachNetwork(cfg.Dirs.Run, net, pid) }
		deps.StartNetwork = func() (*network.Pending, error) { return session.StartNetwork(cfg.Dirs.Run, net) }
	}
	if session.Joined() && attach {
		// A foreground run's network helper is reaped, and a --rm
		// container removed, after its exit code went out (the monitor's
		// stopNetwork and finish).
		deps.Later = runLater
	}
	return deps
}

// detachedDeps are what a monitor works with in this session.
func detachedDeps(cfg config.Config, store *state.Store, mgr *pluginmgr.Manager, b *container.Backends) monitor.Deps {
	return monitor.Deps{Backends: b, Store: store, RunDir: cfg.Dirs.Run, Relaunch: relaunchIsolation(mgr, cfg),
		Spec: specEnv(cfg), RemoveVolumes: removeVolumes(cfg)}
}

// adoptOwnerFD keeps the owner lock `run -d` or `start` passed.
func adoptOwnerFD() {
	if fd, err := strconv.Atoi(os.Getenv(ownerFDEnv)); err == nil {
		os.Unsetenv(ownerFDEnv)
		monitorOwner, monitorOwnerFD = state.AdoptOwner(fd), fd
	}
}

// runMonitorCallback is what rrun-monitor runs: --resume CODE (in its
// place) or --exec (a child serving one exec).
func runMonitorCallback(id string, resume int, execMode bool) error {
	adoptOwnerFD()
	cfg, store, err := openStore()
	if err != nil {
		return err
	}
	rec, err := store.Get(id)
	if err != nil && !execMode {
		return deleteRemoved(cfg, id) // rm -f removed it while it exited
	}
	if err != nil {
		return err
	}
	cfg = withConfigOf(cfg, rec)
	if execMode {
		return execDelegate(cfg, store, rec)
	}
	return resumeMonitor(cfg, store, rec, resume)
}

// specEnv is where volumes live and where --init's binary is: rrun-init
// next to the rrun binary, or in the system plugin dirs.
func specEnv(cfg config.Config) container.SpecEnv {
	env := container.SpecEnv{VolumesDir: filepath.Join(cfg.Dirs.Data, "volumes"), Cgroups: cfg.Cgroups}
	candidates := []string{"/usr/local/libexec/rrun/rrun-init", "/usr/libexec/rrun/rrun-init"}
	if exe, err := os.Executable(); err == nil {
		candidates = append([]string{filepath.Join(filepath.Dir(exe), "rrun-init")}, candidates...)
	}
	for _, c := range candidates {
		if _, err := os.Stat(c); err == nil {
			env.InitPath = c
			break
		}
	}
	return env
}

func relaunchIsolation(mgr *pluginmgr.Manager, cfg config.Config) func(context.Context) (api.Isolation, error) {
	return func(ctx context.Context) (api.Isolation, error) {
		c, err := mgr.Find(api.KindIsolation, cfg.Isolation)
		if err != nil {
			return nil, err
		}
		b, err := container.Open(ctx, mgr, cfg, nil, &c)
		if err != nil {
			return nil, err
		}
		return b.Isolation, nil
	}
}

func readySocket(runDir, id string) string {
	return filepath.Join(filepath.Dir(monitor.SocketPath(runDir, id)), id[:12]+".ready")
}

// readyMsg is what a detached monitor tells the `rrun run -d` waiting for it.
type readyMsg struct {
	Error string `json:"error,omitempty"`
	Hint  string `json:"hint,omitempty"`
	Code  int    `json:"code,omitempty"`

	accepted bool // the monitor connected (acceptReady): this is its answer
}

func notifyReady(runDir, id string, err error) {
	msg := readyMsg{}
	if err != nil {
		msg = readyMsg{Error: err.Error(), Hint: api.HintOf(err), Code: codeOf(err)}
	}
	conn, derr := net.Dial("unix", readySocket(runDir, id))
	if derr != nil {
		return // nobody waits (e.g. `rrun start` gave up)
	}
	defer conn.Close()
	_ = json.NewEncoder(conn).Encode(msg)
}

// planDetached plans the network of a detached container about to start
// (a joined command checks the warm path can give it) and says the
// holder's warning; a refusal abandons the start.
func planDetached(cfg config.Config, store *state.Store, rec state.Record) (*network.Plan, error) {
	net, err := planNetwork(cfg, store, rec)
	if err == nil && join.Joined() {
		err = checkWarmNetwork(net)
	}
	if err != nil {
		return nil, abandonStart(store, rec, err)
	}
	sayHolderWarning()
	return net, nil
}

// startDetached starts the monitor of rec in the background and waits until
// the container runs or failed to start.
func startDetached(cfg config.Config, store *state.Store, rec state.Record, owner *state.Owner) error {
	net, err := planDetached(cfg, store, rec)
	if err != nil {
		return err
	}
	l, err := listenReady(cfg.Dirs.Run, rec.ID)
	if err != nil {
		return abandonStart(store, rec, err)
	}
	defer l.Close()
	exited, err := spawnMonitor(cfg, rec, owner, net)
	if err != nil {
		return abandonStart(store, rec, err)
	}
	got := make(chan readyMsg, 1)
	go func() { got <- acceptReady(l) }()
	var msg readyMsg
	select {
	case msg = <-got:
	case err := <-exited:
		// Its answer may have come just before it ended (a served
		// monitor's connection closes as it execs rrun-monitor, right
		// after it answered): it is then waiting in the listener.
		_ = l.SetDeadline(time.Now().Add(readyGrace))
		if msg = <-got; !msg.accepted {
			return fmt.Errorf("the monitor of %s exited before the container started (%v); see %s",
				rec.ShortID(), err, filepath.Join(cfg.Dirs.Data, "containers", rec.ID, "monitor.log"))
		}
	}
	if msg.Error != "" {
		return &startFailure{msg}
	}
	return nil
}

// readyGrace is how long a detached start still waits for the monitor's
// answer once the monitor ended.
const readyGrace = 200 * time.Millisecond

func listenReady(runDir, id string) (*net.UnixListener, error) {
	path := readySocket(runDir, id)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	_ = os.Remove(path)
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("failed to listen on %s: %w", path, err)
	}
	l.SetUnlinkOnClose(true)
	return l, nil
}

func acceptReady(l *net.UnixListener) readyMsg {
	var msg readyMsg
	conn, err := l.Accept()
	if err != nil {
		return readyMsg{Error: err.Error(), Code: 125}
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Minute))
	if err := json.NewDecoder(conn).Decode(&msg); err != nil {
		return readyMsg{Error: "the monitor sent no answer", Code: 125, accepted: true}
	}
	msg.accepted = true
	return msg
}

// spawnMonitor starts `rrun __monitor ID`, with its stdout and stderr in
// the container's monitor.log: in an idle pre-started rrun of the holder
// when this process joined one (handToPool) and the monitor will hand the
// container to rrun-monitor (a pre-started process keeps its own command
// line, `rrun __prefork`, which ps would show for a monitor that stays),
// else in a new process in its own session (setsid). The channel gets a
// value if the monitor ends (or, served, its connection does) before it
// said whether the container runs.
func spawnMonitor(cfg config.Config, rec state.Record, owner *state.Owner, net *network.Plan) (<-chan error, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(cfg.Dirs.Data, "containers", rec.ID, "monitor.log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("failed to open %s: %w", logPath, err)
	}
	defer logf.Close()
	args := append([]string{self}, append(globalArgs(), monitorArg, rec.ID)...)
	env := append(os.Environ(), ownerFDEnv+"=3")
	exited := make(chan error, 1)
	// A pre-started rrun of the holder has paid the binary's start (~30
	// ms): it becomes the monitor, a child of the holder, in the holder's
	// session, when the monitor will hand off to rrun-monitor. fd 3: the
	// monitor keeps the lock once this process exits.
	handsOff := os.Getenv("RRUN_SMALL_MONITOR") != "0" && !relaysUDP(net) && smallMonitorPath() != ""
	if handsOff {
		if served := handMonitorToPool(args, env, logf, owner.File()); served != nil {
			trace.Mark(fmt.Sprintf("monitor served by pre-started rrun %d", served.pid))
			go func() {
				<-served.done
				exited <- fmt.Errorf("pre-started rrun %d ended", served.pid)
			}()
			return exited, nil
		}
	}
	cmd := exec.Command(self, args[1:]...)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, logf, logf
	cmd.ExtraFiles = []*os.File{owner.File()}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("failed to start the monitor of %s: %w", rec.ShortID(), err)
	}
	go func() { exited <- cmd.Wait() }()
	return exited, nil
}

// handMonitorToPool hands the monitor's command line to a pre-started
// rrun with /dev/null, the log and the owner lock as its fds 0-3; nil when
// none takes it.
func handMonitorToPool(args, env []string, logf, lock *os.File) *servedProcess {
	null, err := os.Open(os.DevNull)
	if err != nil {
		return nil
	}
	defer null.Close()
	return handToPool(args, env, []*os.File{null, logf, logf, lock})
}

// startFailure is a container that could not start, with docker's code.
type startFailure struct{ msg readyMsg }

func (e *startFailure) Error() string { return e.msg.Error }
func (e *startFailure) Unwrap() error {
	return &api.Error{Kind: api.ErrInternal, Msg: e.msg.Error, Hint: e.msg.Hint}
}
