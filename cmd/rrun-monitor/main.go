// Command rrun-monitor owns a running detached container on rrun's warm
// path: it writes the container's output into its log, reaps its init,
// serves the monitor socket, and hands the container back to `rrun
// __monitor --resume` once it exited (docs/internal.md, "The small monitor
// of a detached container"). It is exec'd by rrun, never started by hand,
// and imports the standard library, x/sys/unix and two small rrun
// packages only, so that it stays a few MB resident.
package main

import (
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/rrun-project/rrun/host/monitor/handoff"
)

// init keeps main on the process's first thread, the one the execve
// from rrun ran on: a private network's helper was forked by it with
// Pdeathsig, so it must not end while this process lives (Go ends no
// thread of its own otherwise, but a locked one whose goroutine exits).
func init() { runtime.LockOSThread() }

func main() {
	os.Unsetenv("GOMAXPROCS") // set for this process only (see execSmallMonitor)
	st, err := handoff.FromEnv()
	if err != nil {
		os.Stderr.WriteString("rrun-monitor: " + err.Error() + "\n")
		os.Exit(125)
	}
	m := newMonitor(st)
	code := m.run()
	m.resume(code)
}

// run serves the container until its init exits and returns docker's
// exit code for it.
func (m *monitor) run() int {
	chld := make(chan os.Signal, 16)
	signal.Notify(chld, syscall.SIGCHLD)
	m.startLogs()
	go m.serve()
	code := -1
	for code < 0 {
		code = m.reap()
		if code < 0 {
			<-chld
		}
	}
	m.exited(code)
	return code
}

// reap collects every exited child (the init, exec delegates, orphans)
// and returns the init's code, or -1 while it runs.
func (m *monitor) reap() int {
	code := -1
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil || pid <= 0 {
			return code
		}
		if pid == m.st.NetHelper {
			m.st.NetHelper = 0 // gone: its pid may be reused
		}
		if pid == m.st.Pid && (ws.Exited() || ws.Signaled()) {
			code = ws.ExitStatus()
			if ws.Signaled() {
				code = 128 + int(ws.Signal())
			}
		}
	}
}

// resume execs `rrun __monitor ID --resume CODE` in this process: it keeps
// the owner lock and the listener, records the exit, releases the
// container and applies the restart policy.
func (m *monitor) resume(code int) {
	m.stopNetwork()
	m.drainLogs(2 * time.Second)
	waitFor(&m.inflight, time.Second) // stop and wait get their answer
	keep(m.st.Owner)
	keep(m.st.Listener)
	env := append(os.Environ(),
		handoff.OwnerFDEnv+"="+strconv.Itoa(m.st.Owner),
		handoff.ListenerFDEnv+"="+strconv.Itoa(m.st.Listener),
		handoff.RestartsEnv+"="+m.st.Restarts)
	argv := append(append([]string(nil), m.st.Rrun...), "__monitor", m.st.ID, "--resume", strconv.Itoa(code))
	err := syscall.Exec(m.st.Rrun[0], argv, env)
	os.Stderr.WriteString("rrun-monitor: failed to exec " + m.st.Rrun[0] + " to record the exit (" + strconv.Itoa(code) + ") of " + m.st.ID + ": " + err.Error() + "\n")
	os.Exit(code)
}

// stopNetwork ends the private network's helper (pasta or slirp4netns,
// this process's child), removes its state dir and drops the dir's lock,
// as the big monitor does once a container exited.
func (m *monitor) stopNetwork() {
	if m.st.NetHelper > 0 {
		_ = syscall.Kill(m.st.NetHelper, syscall.SIGKILL) // our unreaped child: the pid is still its
		var ws syscall.WaitStatus
		for {
			if _, err := syscall.Wait4(m.st.NetHelper, &ws, 0, nil); err != syscall.EINTR {
				break
			}
		}
		m.st.NetHelper = 0
	}
	if m.st.NetDir != "" {
		_ = os.RemoveAll(m.st.NetDir) // a dir left is removed by the next rrun that finds its lock free
	}
	if m.st.NetLock >= 0 {
		_ = syscall.Close(m.st.NetLock)
		m.st.NetLock = -1
	}
}

// waitFor waits for wg, at most d.
func waitFor(wg *sync.WaitGroup, d time.Duration) {
	ch := make(chan struct{})
	go func() { wg.Wait(); close(ch) }()
	select {
	case <-ch:
	case <-time.After(d):
	}
}

// fcntlSetFD sets fd's flags (F_SETFD).
func fcntlSetFD(fd, flags int) {
	_, _, _ = syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_SETFD, uintptr(flags)) // a closed fd: the next process reports it
}

// keep clears FD_CLOEXEC: fd crosses the next execve.
func keep(fd int) {
	if fd >= 0 {
		fcntlSetFD(fd, 0)
	}
}
