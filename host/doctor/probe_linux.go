package doctor

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Default is the real host, for the invoking user, with rrun's data dir.
func Default(dataDir string) *Host {
	h := &Host{
		UID: os.Getuid(), GID: os.Getgid(), User: strconv.Itoa(os.Getuid()),
		DataDir:  dataDir,
		Getenv:   os.Getenv,
		LookPath: exec.LookPath,
		Stat:     statFile,
		FileCaps: fileCaps,
		Statfs:   statFS,
		CanOpen:  canOpen,
		Writable: func(p string) bool { return unix.Access(p, unix.W_OK) == nil },
	}
	if u, err := user.Current(); err == nil {
		h.User = u.Username
	}
	h.TryUserNS = func() error { return tryUserNS(h.UID, h.GID) }
	h.TryIDMap = tryIDMap
	h.ProbeOverlay = func(dir string) error { return probeOverlay(dir, h.UID, h.GID) }
	h.ProbeProc = func() error { return probeProc(h.UID, h.GID) }
	h.Libseccomp = libseccompVersion
	return h
}

func statFile(p string) (FileInfo, error) {
	st, err := os.Stat(p)
	if err != nil {
		return FileInfo{}, err
	}
	fi := FileInfo{Mode: st.Mode(), IsDir: st.IsDir(), UID: -1}
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		fi.UID = int(s.Uid)
	}
	return fi, nil
}

func fileCaps(p string) ([]byte, error) {
	buf := make([]byte, 64)
	n, err := unix.Getxattr(p, "security.capability", buf)
	if err != nil {
		return nil, err
	}
	return buf[:n], nil
}

func statFS(p string) (FSInfo, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(p, &st); err != nil {
		return FSInfo{}, err
	}
	return FSInfo{Type: int64(st.Type), Avail: st.Bavail * uint64(st.Bsize)}, nil
}

func canOpen(p string) error {
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	return f.Close()
}

// oneIDMap is the map any user may write for itself.
func oneIDMap(uid, gid int) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: uid, Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: gid, Size: 1}},
		Pdeathsig:   syscall.SIGKILL,
	}
}

// tryUserNS runs /bin/sh -c true as uid 0 of a new user namespace.
func tryUserNS(uid, gid int) error {
	cmd := exec.Command("/bin/sh", "-c", "true")
	cmd.SysProcAttr = oneIDMap(uid, gid)
	return runQuiet(cmd)
}

// runQuiet runs cmd and turns a failure into an error carrying its stderr.
func runQuiet(cmd *exec.Cmd) error {
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if msg := strings.TrimSpace(stderr.String()); err != nil && msg != "" {
		return fmt.Errorf("%w: %s", err, msg)
	}
	return err
}

// overlayScript mounts overlay with userxattr over dirs in $1, writes
// through it and unmounts it; $2 is mount(8), $3 umount(8).
const overlayScript = `cd "$1" && mkdir l u w m && ` +
	`"$2" -t overlay overlay -o lowerdir=l,upperdir=u,workdir=w,userxattr m && ` +
	`: > m/probe && "$3" m`

func probeOverlay(dir string, uid, gid int) error {
	mount, umount := firstExisting("/usr/bin/mount", "/bin/mount"), firstExisting("/usr/bin/umount", "/bin/umount")
	if mount == "" || umount == "" {
		return errors.New("mount(8) not found in /usr/bin or /bin")
	}
	cmd := exec.Command("/bin/sh", "-c", overlayScript, "sh", dir, mount, umount)
	attr := oneIDMap(uid, gid)
	attr.Cloneflags |= syscall.CLONE_NEWNS
	cmd.SysProcAttr = attr
	return runQuiet(cmd)
}

func firstExisting(paths ...string) string {
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}
