package doctor

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
)

// probeProc mounts proc on a temporary dir as pid 1 of a new user, mount
// and pid namespace, and unmounts it.
func probeProc(uid, gid int) error {
	mount, umount := firstExisting("/usr/bin/mount", "/bin/mount"), firstExisting("/usr/bin/umount", "/bin/umount")
	if mount == "" || umount == "" {
		return errors.New("mount(8) not found in /usr/bin or /bin")
	}
	dir, err := os.MkdirTemp("", "rrun-doctor-proc-")
	if err != nil {
		return err
	}
	defer os.Remove(dir)
	cmd := exec.Command("/bin/sh", "-c", `"$2" -t proc proc "$1" && "$3" "$1"`, "sh", dir, mount, umount)
	attr := oneIDMap(uid, gid)
	attr.Cloneflags |= syscall.CLONE_NEWNS | syscall.CLONE_NEWPID
	cmd.SysProcAttr = attr
	return runQuiet(cmd)
}
