package storage

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"go.podman.io/storage/pkg/reexec"
	"golang.org/x/sys/unix"
)

// probeOverlayArg is the c/storage re-exec name of the overlay probe: the
// rrun binary started as it mounts an overlay in a new user namespace.
const probeOverlayArg = "rrun-storage-probe-overlay"

func init() { reexec.Register(probeOverlayArg, probeOverlayMain) }

// ProbeDriver picks the driver for a store under dir, the way the
// documentation promises: overlay if the kernel mounts it in a user
// namespace on dir's filesystem, else fuse-overlayfs if /dev/fuse and the
// program are usable, else vfs. It returns the driver and why. It costs a
// process start and a mount; callers cache the answer.
func ProbeDriver(dir string) (driver, why string) {
	overlayErr := probeOverlay(dir)
	if overlayErr == nil {
		return DriverOverlay, "the kernel mounts overlay (userxattr) in a user namespace on " + dir
	}
	fuseErr := probeFuse()
	if fuseErr == nil {
		return DriverFuseOverlayfs, fmt.Sprintf("native overlay failed on %s (%v); /dev/fuse and %s are usable",
			dir, overlayErr, FuseOverlayfsProgram)
	}
	return DriverVFS, fmt.Sprintf("native overlay failed on %s (%v); fuse-overlayfs unusable (%v)", dir, overlayErr, fuseErr)
}

// probeOverlay mounts lower+upper on merged in a child with a new user
// and mount namespace (its uid 0 is the caller), writes through it, and
// removes the lot.
func probeOverlay(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(dir, ".probe-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	for _, d := range []string{"lower", "upper", "work", "merged"} {
		if err := os.Mkdir(filepath.Join(tmp, d), 0o700); err != nil {
			return err
		}
	}
	cmd := reexec.Command(probeOverlayArg, tmp)
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}},
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		if msg := strings.TrimSpace(string(out)); msg != "" {
			return fmt.Errorf("%s", msg)
		}
		return err
	}
	return nil
}

// probeOverlayMain runs in the probe child.
func probeOverlayMain() {
	dir := os.Args[1]
	opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s,userxattr",
		filepath.Join(dir, "lower"), filepath.Join(dir, "upper"), filepath.Join(dir, "work"))
	merged := filepath.Join(dir, "merged")
	// volatile first: without it the unmount syncs the whole file system
	// under the store (overlay's sync_fs), which under other writers'
	// load waited minutes (a CI load hung in wb_wait_for_completion).
	// Kernels before 5.10 refuse the option: the probe then mounts
	// without it.
	err := unix.Mount("overlay", merged, "overlay", 0, opts+",volatile")
	if err != nil {
		err = unix.Mount("overlay", merged, "overlay", 0, opts)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "mount overlay: %v", err)
		os.Exit(1)
	}
	if err := os.WriteFile(filepath.Join(merged, "probe"), []byte("ok"), 0o600); err != nil {
		fmt.Fprintf(os.Stderr, "write through overlay: %v", err)
		os.Exit(1)
	}
	_ = unix.Unmount(merged, unix.MNT_DETACH)
	os.Exit(0)
}

func probeFuse() error {
	f, err := os.OpenFile("/dev/fuse", os.O_RDWR, 0)
	if err != nil {
		return err
	}
	f.Close()
	return unix.Access(FuseOverlayfsProgram, unix.X_OK)
}
