package session

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"

	"github.com/rrun-project/rrun/host/lockfile"

	"github.com/rootless-containers/rootlesskit/v3/pkg/parent"

	"github.com/rrun-project/rrun/host/network"
)

// SessionArg is the re-exec mode of the session process.
const SessionArg = "__session"

// Enter runs this same command (os.Args) again inside a new session and
// returns its exit code. runDir is rrun's volatile directory; rootlesskit's
// per-session state lives below it.
func Enter(runDir string, plan Plan) (int, error) {
	uid, gid := os.Getuid(), os.Getgid()
	os.Setenv(envHostUID, strconv.Itoa(uid))
	os.Setenv(envHostGID, strconv.Itoa(gid))
	os.Setenv(envMapping, plan.Mapping)
	if net := plan.Network; net != nil && net.Mode == network.ModeContainer {
		return enterJoined(net.JoinPID)
	}
	if plan.Mapping == MappingSingle {
		return enterSingle(uid, gid, runDir, plan.Network)
	}
	return enterSubuid(runDir, plan.Network)
}

// EnterWith is Enter for another command line: the session runs
// `rrun ARGS` instead of this process's own arguments.
func EnterWith(runDir string, plan Plan, args []string) (int, error) {
	os.Args = append([]string{os.Args[0]}, args...)
	return Enter(runDir, plan)
}

// newStateDir makes a session's state dir under runDir/sessions, after
// removing those of sessions whose rrun was killed. It returns the dir's
// owner lock too, held (in heldLocks) until this process exits. The dir is
// made as .new-ID, under the shared lock of lockMaking, so that a later
// rrun can tell one this process was killed making from one being made.
func newStateDir(runDir string) (string, *os.File, error) {
	sessions := filepath.Join(runDir, "sessions")
	if err := os.MkdirAll(sessions, 0o700); err != nil {
		return "", nil, fmt.Errorf("failed to create %s: %w", sessions, err)
	}
	removeStaleSessions(sessions)
	unlock, err := lockMaking(sessions)
	if err != nil {
		return "", nil, err
	}
	defer unlock()
	id := randomID()
	tmp, stateDir := filepath.Join(sessions, ".new-"+id), filepath.Join(sessions, id)
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return "", nil, fmt.Errorf("failed to create session dir %s: %w", tmp, err)
	}
	lock, err := holdOwnerLock(tmp)
	if err != nil {
		_ = os.RemoveAll(tmp)
		return "", nil, err
	}
	if err := os.Rename(tmp, stateDir); err != nil {
		_ = os.RemoveAll(tmp)
		return "", nil, fmt.Errorf("failed to create session dir %s: %w", stateDir, err)
	}
	return stateDir, lock, nil
}

// ownerLock is the file in a session's state dir whose flock the rrun that
// made the session holds until it exits: a later rrun that can take it
// knows the session's rrun was killed (see removeStaleSessions).
const ownerLock = "rrun.lock"

// heldLocks keeps the session locks of this process open until it exits,
// or until their dir is gone (releaseOwnerLock).
var (
	heldMu    sync.Mutex
	heldLocks []*os.File
)

// releaseOwnerLock closes f, the owner lock of a state dir this process
// has removed: a pre-started process that serves again keeps nothing of
// an earlier command's network.
func releaseOwnerLock(f *os.File) {
	heldMu.Lock()
	heldLocks = slices.DeleteFunc(heldLocks, func(h *os.File) bool { return h == f })
	heldMu.Unlock()
	f.Close()
}

// holdOwnerLock takes dir's ownerLock before the dir gets its final name,
// so that no other rrun ever sees the dir unlocked while this one lives.
func holdOwnerLock(dir string) (*os.File, error) {
	// The lock file gets its name only once it is locked: a later rrun
	// that finds ownerLock free knows the rrun that made it is gone, and
	// never tests (and so briefly holds) a lock this one is about to take.
	f, err := lockfile.Hold(dir, ownerLock)
	if err != nil {
		return nil, fmt.Errorf("failed to lock the session dir %s: %w", dir, err)
	}
	heldMu.Lock()
	heldLocks = append(heldLocks, f)
	heldMu.Unlock()
	return f, nil
}

// enterSubuid starts the session through rootlesskit's parent. A child
// that died before it finished its user namespace's set-up ran nothing of
// the command: the session is started once more.
func enterSubuid(runDir string, net *network.Plan) (int, error) {
	code, err := enterSubuidOnce(runDir, net)
	if errors.Is(err, errChildDied) {
		fmt.Fprintf(os.Stderr, "rrun: warning: %v; starting it again\n", err)
		code, err = enterSubuidOnce(runDir, net)
	}
	return code, err
}

func enterSubuidOnce(runDir string, net *network.Plan) (int, error) {
	stateDir, _, err := newStateDir(runDir)
	if err != nil {
		return 0, err
	}
	opt := parent.Opt{
		PipeFDEnvKey:             envPipeFD,
		ChildUseActivationEnvKey: envActChild,
		StateDir:                 stateDir,
		StateDirEnvKey:           envStateDir,
		CreatePIDNS:              true,
		Propagation:              "rprivate",
		SubidSource:              parent.SubidSourceStatic,
	}
	if err := withNetwork(&opt, net); err != nil {
		_ = os.RemoveAll(stateDir)
		return 0, err
	}
	return exitCodeOf(runParent(opt))
}

// enterSingle starts the session with a one-line uid/gid map the kernel
// lets any user write; no newuidmap and no subordinate range are needed.
func enterSingle(uid, gid int, runDir string, net *network.Plan) (int, error) {
	cmd := exec.Command("/proc/self/exe", append([]string{SessionArg}, os.Args[1:]...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	private := net != nil && network.Private(net.Mode)
	var flags uintptr
	if private {
		flags = syscall.CLONE_NEWNET
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:                 syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS | syscall.CLONE_NEWPID | flags,
		UidMappings:                []syscall.SysProcIDMap{{ContainerID: 0, HostID: uid, Size: 1}},
		GidMappings:                []syscall.SysProcIDMap{{ContainerID: 0, HostID: gid, Size: 1}},
		GidMappingsEnableSetgroups: false,
		Pdeathsig:                  syscall.SIGKILL,
	}
	var ready *os.File
	if private {
		r, w, err := os.Pipe()
		if err != nil {
			return 0, err
		}
		defer r.Close()
		ready = w
		cmd.ExtraFiles = []*os.File{r}
		cmd.Env = append(os.Environ(), envNetWaitFD+"=3")
	}
	if err := cmd.Start(); err != nil {
		if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EINVAL) {
			return 0, errNoUserNS(err)
		}
		return 0, fmt.Errorf("failed to start the session: %w", err)
	}
	stop := forwardSignals(cmd.Process)
	defer stop()
	if private {
		link, err := singleNetwork(runDir, net, cmd.Process.Pid)
		ready.Close()
		if link != nil {
			defer link.Stop()
		}
		if err != nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			return 0, err
		}
	}
	return exitCodeOf(cmd.Wait())
}

// exitCodeOf turns the session's end into an exit code. A session that
// died by signal N gives 128+N, like a shell.
func exitCodeOf(err error) (int, error) {
	if err == nil {
		return 0, nil
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal()), nil
		}
		return ee.ExitCode(), nil
	}
	if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.ENOSPC) {
		return 0, errNoUserNS(err)
	}
	return 0, fmt.Errorf("rootless session failed: %w", err)
}

func randomID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
