package session

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rootless-containers/rootlesskit/v3/pkg/parent/idtools"
	"golang.org/x/sys/unix"
)

// HolderArg is the re-exec mode of the session holder; host/session/join's
// C constructor plays it and never returns to Go.
const HolderArg = "__holder"

// StartHolder makes sure a holder from this binary runs for runDir: under
// $RUN/holder.lock, it keeps a live one, stops one from another binary
// and starts a new one with plan's mapping.
func StartHolder(runDir string, plan Plan, idle time.Duration) error {
	if err := os.MkdirAll(runDir, 0o700); err != nil {
		return fmt.Errorf("failed to create %s: %w", runDir, err)
	}
	lock, err := os.OpenFile(filepath.Join(runDir, "holder.lock"), os.O_CREATE|os.O_RDWR|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("failed to open the holder lock: %w", err)
	}
	defer lock.Close()
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX); err != nil {
		return fmt.Errorf("failed to lock the holder: %w", err)
	}
	self, err := SelfBinary()
	if err != nil {
		return err
	}
	if h, ok := ReadHolder(runDir); ok && h.Alive() {
		if h.Binary == self {
			return nil // started by a concurrent command
		}
		_ = unix.Kill(h.PID, unix.SIGKILL) // another binary's holder: replaced (Alive checked it is still that process)
	}
	return startHolder(runDir, plan, self, idle)
}

func startHolder(runDir string, plan Plan, self BinaryID, idle time.Duration) error {
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer w.Close()
	cmd := exec.Command("/proc/self/exe", HolderArg, strconv.Itoa(max(1, int(idle.Seconds()))), holderPath(runDir),
		strconv.Itoa(PoolSize()), plan.Mapping)
	cmd.Env = []string{}           // it runs no Go and needs nothing
	cmd.ExtraFiles = []*os.File{r} // fd 3: a byte once the maps are written
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Cloneflags: syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS}
	uid, gid := os.Getuid(), os.Getgid()
	if plan.Mapping == MappingSingle {
		cmd.SysProcAttr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: uid, Size: 1}}
		cmd.SysProcAttr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: gid, Size: 1}}
	}
	err = cmd.Start()
	r.Close()
	if err != nil {
		if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EINVAL) {
			return errNoUserNS(err)
		}
		return fmt.Errorf("failed to start the session holder: %w", err)
	}
	if plan.Mapping != MappingSingle {
		if err := writeSubIDMaps(cmd.Process.Pid, uid, gid); err != nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			return err
		}
	}
	if _, err := w.Write([]byte{1}); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return fmt.Errorf("failed to release the session holder: %w", err)
	}
	h := Holder{PID: cmd.Process.Pid, Start: processStart(cmd.Process.Pid), Binary: self, Mapping: plan.Mapping, Warning: plan.Warning}
	_ = cmd.Process.Release() // it outlives this command
	return writeHolder(runDir, h)
}

// PoolSize is how many pre-started commands a new holder keeps
// (RRUN_PREFORK, default 2, at most 4; 0: none). Two, so that a command
// that comes right after another (a script's exec after exec) finds the
// second while the holder starts the first one's replacement. See
// "Pre-started commands" in docs/internal.md.
func PoolSize() int {
	n, err := strconv.Atoi(os.Getenv("RRUN_PREFORK"))
	if err != nil || n < 0 {
		return 2
	}
	return min(n, 4)
}

// StopHolder kills the holder of runDir (rrun system migrate); running
// containers keep their namespaces. It reports whether one ran. It
// returns once the holder's idle pre-started processes are gone too
// (awaitPool), so nothing of the old holder is left in the run dir.
func StopHolder(runDir string) bool {
	h, ok := ReadHolder(runDir)
	_ = os.Remove(holderPath(runDir)) // gone already: fine
	if !ok || !h.Alive() {
		awaitPool(runDir) // a holder that idled out a moment ago
		return false
	}
	if unix.Kill(h.PID, unix.SIGKILL) != nil {
		return false
	}
	awaitPool(runDir)
	return true
}

// poolWait bounds how long StopHolder waits for the pool's sockets.
const poolWait = 2 * time.Second

// awaitPool waits, at most poolWait, until the sockets in runDir/prefork
// are gone: a pool process reads EOF once its holder is gone, removes its
// socket and exits (see "Pre-started commands" in docs/internal.md), a
// moment after the holder. A socket whose process is gone was a killed
// one's: it is removed. Without the wait, `system migrate` returned while
// the old pool still had its sockets (TestKilledRunsAndLoadsLeaveNothing
// found one in the run dir under load).
func awaitPool(runDir string) {
	socks, _ := filepath.Glob(filepath.Join(runDir, "prefork", "*.sock"))
	deadline := time.Now().Add(poolWait)
	for _, sock := range socks {
		pid, _ := strconv.Atoi(strings.SplitN(filepath.Base(sock), "-", 2)[0])
		for {
			if _, err := os.Lstat(sock); err != nil {
				break
			}
			if pid <= 0 || processStart(pid) == 0 {
				_ = os.Remove(sock) // its process was killed
				break
			}
			if time.Now().After(deadline) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// writeSubIDMaps maps 0 to the user and 1.. to the subordinate ranges, as
// rootlesskit does for the cold path, so the store has one owner mapping.
func writeSubIDMaps(pid, uid, gid int) error {
	u, err := user.LookupId(strconv.Itoa(uid))
	if err != nil {
		return fmt.Errorf("failed to look up uid %d: %w", uid, err)
	}
	subuid, subgid, err := idtools.GetSubIDRanges(uid, u.Username)
	if err != nil {
		return err
	}
	for _, m := range []struct {
		tool   string
		id     int
		ranges []idtools.SubIDRange
	}{{"newuidmap", uid, subuid}, {"newgidmap", gid, subgid}} {
		args := []string{strconv.Itoa(pid), "0", strconv.Itoa(m.id), "1"}
		next := 1
		for _, r := range m.ranges {
			args = append(args, strconv.Itoa(next), strconv.Itoa(r.Start), strconv.Itoa(r.Length))
			next += r.Length
		}
		if out, err := exec.Command(m.tool, args...).CombinedOutput(); err != nil {
			return fmt.Errorf("%s %v failed: %s: %w", m.tool, args, strings.TrimSpace(string(out)), err)
		}
	}
	return nil
}

// Adopt makes a process that the constructor moved into the holder's
// namespaces a session, as Begin does for `rrun __session`: the
// environment for the store and the plugins, and the child subreaper.
func Adopt(hostUID, hostGID int, mapping string) error {
	os.Setenv(envInside, "1")
	os.Setenv(envJoined, "1")
	os.Setenv(envMapping, mapping)
	os.Setenv(envHostUID, strconv.Itoa(hostUID))
	os.Setenv(envHostGID, strconv.Itoa(hostGID))
	os.Setenv("_CONTAINERS_USERNS_CONFIGURED", "1")
	os.Setenv("_CONTAINERS_ROOTLESS_UID", strconv.Itoa(hostUID))
	os.Setenv("_CONTAINERS_ROOTLESS_GID", strconv.Itoa(hostGID))
	return unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
}
