package doctor

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

// probeProc does what a session and a container's init do first, in a new
// user, mount, pid and uts namespace: mount proc on a temporary dir (as
// the pid namespace's pid 1) and unmount it, then set a hostname.
func probeProc(uid, gid int) error {
	mount, umount := firstExisting("/usr/bin/mount", "/bin/mount"), firstExisting("/usr/bin/umount", "/bin/umount")
	if mount == "" || umount == "" {
		return errors.New("mount(8) not found in /usr/bin or /bin")
	}
	hostname := firstExisting("/usr/bin/hostname", "/bin/hostname")
	dir, err := os.MkdirTemp("", "rrun-doctor-proc-")
	if err != nil {
		return err
	}
	defer os.Remove(dir)
	script := `"$2" -t proc proc "$1" && "$3" "$1" || exit 10; [ -z "$4" ] || "$4" rrun-doctor || exit 11`
	cmd := exec.Command("/bin/sh", "-c", script, "sh", dir, mount, umount, hostname)
	attr := oneIDMap(uid, gid)
	attr.Cloneflags |= syscall.CLONE_NEWNS | syscall.CLONE_NEWPID | syscall.CLONE_NEWUTS
	cmd.SysProcAttr = attr
	err = runQuiet(cmd)
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 11 {
		return fmt.Errorf("sethostname in a new uts namespace: %w (%v)", errSyscallFiltered, err)
	}
	return err
}
