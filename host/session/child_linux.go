package session

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"

	"github.com/rootless-containers/rootlesskit/v3/pkg/child"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/host/network"
)

// IsRootlesskitChild reports whether this process is rootlesskit's child
// role (started by Enter's parent.Parent).
func IsRootlesskitChild() bool { return os.Getenv(envPipeFD) != "" }

// RunRootlesskitChild plays rootlesskit's child: it waits for the id maps,
// mounts /proc for the new pid namespace and runs `rrun __session ARGS`.
// It exits with the session's exit code and never returns.
func RunRootlesskitChild() {
	// The parent (the CLI or a monitor) armed SIGKILL on its death, but
	// gaining capabilities in the user namespace cleared it: arm it again,
	// so that killing rrun ends the session and every container in it.
	_ = unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGKILL), 0, 0, 0)
	testChildDeath()
	// rootlesskit warns that it bind-mounts /etc/resolv.conf without
	// copying /etc up: true, and harmless here (only the session sees it).
	logrus.SetLevel(logrus.ErrorLevel)
	netDriver, portDriver := network.ChildSide(os.Getenv(envNetMode), os.Getenv(envNetPorts) == "1", io.Discard)
	err := child.Child(child.Opt{
		PipeFDEnvKey:              envPipeFD,
		RunActivationHelperEnvKey: envActHelper,
		ChildUseActivationEnvKey:  envActChild,
		StateDirEnvKey:            envStateDir,
		TargetCmd:                 append([]string{"/proc/self/exe", SessionArg}, os.Args[1:]...),
		NetworkDriver:             netDriver,
		PortDriver:                portDriver,
		MountProcfs:               true,
		Propagation:               "rprivate",
	})
	if err == nil {
		os.Exit(0)
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			os.Exit(128 + int(ws.Signal()))
		}
		os.Exit(ee.ExitCode())
	}
	fmt.Fprintf(os.Stderr, "rrun: rootless session failed: %v\n", err)
	os.Exit(125)
}

// Begin is the first thing `rrun __session` does: it marks the
// environment for the store and the plugins, mounts /proc when this process
// is the init of a new pid namespace (the single-uid path) and becomes the
// subreaper of the container processes.
func Begin() error {
	waitNetwork()
	uid, gid := HostIDs()
	os.Setenv(envInside, "1")
	// As podman does inside its user namespace: c/storage then treats the
	// store as rootless (userxattr overlay, no real chown of the host).
	os.Setenv("_CONTAINERS_USERNS_CONFIGURED", "1")
	os.Setenv("_CONTAINERS_ROOTLESS_UID", fmt.Sprint(uid))
	os.Setenv("_CONTAINERS_ROOTLESS_GID", fmt.Sprint(gid))
	if os.Getpid() == 1 {
		// The single-uid path: the CLI armed SIGKILL on its death, but
		// gaining capabilities at exec cleared it. Without it, killing rrun
		// would leave this session and its containers running.
		_ = unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGKILL), 0, 0, 0)
		if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
			return fmt.Errorf("failed to make / private in the session: %w", err)
		}
		if err := unix.Mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
			return fmt.Errorf("failed to mount /proc in the session: %w", err)
		}
	}
	return unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
}

// childDeathEnv is a test hook: the session's child exits 3 before its
// set-up, always ("always") or once (a file's path: the child that removes
// it). See runParent.
const childDeathEnv = "_RRUN_TEST_SESSION_CHILD_EXIT"

func testChildDeath() {
	v := os.Getenv(childDeathEnv)
	if v == "always" || (v != "" && os.Remove(v) == nil) {
		os.Exit(3)
	}
}
