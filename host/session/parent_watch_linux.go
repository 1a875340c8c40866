package session

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/rootless-containers/rootlesskit/v3/pkg/parent"
	"golang.org/x/sys/unix"
)

// rootlesskit's parent.Parent waits for its child's two set-up messages
// (ChildHello, ChildInitUserNSCompleted) on a pipe whose write end it keeps
// open itself: a child that dies before it sends them leaves Parent
// reading forever. Seen under load: the `rm -f` of a Slurm epilog hung
// with its session's child a zombie, holding the node for 40 minutes.
// runParent watches the child and turns that hang into an error.

// childSetupGrace is how long Parent may still take once its child has
// exited before it wrote the child's pid to its state dir: after a normal
// exit it returns at once (its cmd.Wait), and only a Parent stuck waiting
// for a dead child's message takes longer.
const childSetupGrace = time.Second

// errChildDied is the error of a session whose child died during set-up.
var errChildDied = errors.New("the session's child process exited during its set-up")

// runParent runs parent.Parent(opt) and returns its error, or, when the
// child exited during its set-up and Parent did not return, an error
// naming how the child ended (errChildDied). Parent writes the child's pid
// to its state dir only once the set-up is done, and the child runs the
// command only after that: without that file the command never ran.
// Parent's goroutine is then left blocked (the command exits) and its
// state dir is removed here.
func runParent(opt parent.Opt) error {
	done := make(chan error, 1)
	go func() { done <- parent.Parent(opt) }()
	exited := make(chan string, 1)
	stop := make(chan struct{})
	defer close(stop)
	go watchSessionChild(exited, stop)
	var how string
	select {
	case err := <-done:
		return err
	case how = <-exited:
	}
	select {
	case err := <-done:
		return err
	case <-time.After(childSetupGrace):
	}
	if _, err := os.Stat(filepath.Join(opt.StateDir, parent.StateFileChildPID)); err == nil {
		return <-done // set up: Parent only waits for the exited child now
	}
	_ = os.RemoveAll(opt.StateDir)
	return fmt.Errorf("%w (%s)", errChildDied, how)
}

// watchSessionChild finds this process's child in another user namespace
// (the session's child; rootlesskit starts no other) and sends how it
// ended on exited once it has exited (without reaping it: Parent does).
func watchSessionChild(exited chan<- string, stop <-chan struct{}) {
	var fd int
	for {
		select {
		case <-stop:
			return
		default:
		}
		if pid := sessionChild(); pid > 0 {
			var err error
			if fd, err = unix.PidfdOpen(pid, 0); err == nil {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	defer unix.Close(fd)
	for {
		select {
		case <-stop:
			return
		default:
		}
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		if n, _ := unix.Poll(fds, 1000); n > 0 {
			exited <- childEnd(fd)
			return
		}
	}
}

// sessionChild is the pid of a child of this process whose user namespace
// is not this process's, or 0.
func sessionChild() int {
	own, err := os.Readlink("/proc/self/ns/user")
	if err != nil {
		return 0
	}
	tasks, _ := filepath.Glob("/proc/self/task/*/children")
	for _, t := range tasks {
		data, _ := os.ReadFile(t)
		for _, f := range strings.Fields(string(data)) {
			pid, err := strconv.Atoi(f)
			if err != nil {
				continue
			}
			if ns, err := os.Readlink("/proc/" + f + "/ns/user"); err == nil && ns != own {
				return pid
			}
		}
	}
	return 0
}

// childEnd says how the exited child behind pidfd ended, leaving it for
// its parent to reap.
func childEnd(pidfd int) string {
	var info unix.Siginfo
	if err := unix.Waitid(unix.P_PIDFD, pidfd, &info, unix.WEXITED|unix.WNOWAIT, nil); err != nil {
		return "exited"
	}
	// si_code and si_status follow si_signo and si_errno (siginfo_t).
	code, status := info.Code, int(siginfoStatus(&info))
	switch code {
	case 1: // CLD_EXITED
		return fmt.Sprintf("exit status %d", status)
	case 2, 3: // CLD_KILLED, CLD_DUMPED
		return fmt.Sprintf("killed by signal %d", status)
	}
	return "exited"
}

// siginfoStatus is si_status of a SIGCHLD siginfo: after si_signo,
// si_errno, si_code and padding (16 bytes) come si_pid and si_uid.
func siginfoStatus(info *unix.Siginfo) int32 {
	return *(*int32)(unsafe.Add(unsafe.Pointer(info), 24))
}
