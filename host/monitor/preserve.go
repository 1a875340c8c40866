package monitor

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"

	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/plugins/api"
)

// `rrun run --preserve-fds N` gives the container the caller's fds 3 to
// 3+N-1. They cannot travel down the chain of processes that enters the
// session (each exec there owns its fds 3 and up), so the CLI offers them
// on a unix socket next to the monitor's and the monitor fetches them by
// SCM_RIGHTS before it creates the container.

// MaxPreservedFds bounds --preserve-fds (one SCM_RIGHTS message).
const MaxPreservedFds = 64

// fdsPath is where the CLI offers the preserved fds of container id.
func fdsPath(runDir, id string) string {
	return filepath.Join(filepath.Dir(SocketPath(runDir, id)), filepath.Base(SocketPath(runDir, id))+".fds")
}

// OfferFds serves fds to the monitor of container id, once per
// connection, until the returned function is called.
func OfferFds(runDir, id string, fds []int) (func(), error) {
	path := fdsPath(runDir, id)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("failed to create %s: %w", filepath.Dir(path), err)
	}
	_ = os.Remove(path) // left by a killed rrun
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("failed to offer the preserved fds on %s: %w", path, err)
	}
	l.SetUnlinkOnClose(true)
	go func() {
		for {
			conn, err := l.AcceptUnix()
			if err != nil {
				return
			}
			_, _, _ = conn.WriteMsgUnix([]byte{byte(len(fds))}, unix.UnixRights(fds...), nil) // the monitor reports a short answer
			conn.Close()
		}
	}()
	return func() { l.Close() }, nil
}

// receiveFds fetches the n fds the CLI offers for container id.
func receiveFds(runDir, id string, n int) ([]*os.File, error) {
	path := fdsPath(runDir, id)
	conn, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("failed to fetch the preserved fds from %s: %w", path, err)
	}
	defer conn.Close()
	buf, oob := make([]byte, 1), make([]byte, unix.CmsgSpace(MaxPreservedFds*4))
	_, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
	if err != nil {
		return nil, fmt.Errorf("failed to fetch the preserved fds: %w", err)
	}
	fds := parseRights(oob[:oobn])
	files := make([]*os.File, 0, len(fds))
	for i, fd := range fds {
		unix.CloseOnExec(fd)
		files = append(files, os.NewFile(uintptr(fd), fmt.Sprintf("preserved-%d", 3+i)))
	}
	if len(files) != n {
		closeFiles(files)
		return nil, fmt.Errorf("failed to fetch the preserved fds: got %d, want %d", len(files), n)
	}
	return files, nil
}

func closeFiles(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}

// preserveFds fetches a run's preserved fds (only for the run that asked:
// a later start or restart has no caller to take them from) and names
// them for the backend.
func (m *monitor) preserveFds(ctx context.Context, s *stdio) error {
	n := m.rec.Options.PreserveFds
	if n == 0 || !m.rec.Unstarted {
		return nil
	}
	if err := m.checkPreserveFds(ctx); err != nil {
		return err
	}
	files, err := receiveFds(m.RunDir, m.rec.ID, n)
	if err != nil {
		return err
	}
	s.closers = append(s.closers, func() { closeFiles(files) })
	fds := make([]int, len(files))
	for i, f := range files {
		fds[i] = int(f.Fd())
	}
	s.spec.ExtraFiles, err = container.NameExtraFiles(fds)
	return err
}

// checkPreserveFds refuses --preserve-fds with a backend that would
// silently drop the fds.
func (m *monitor) checkPreserveFds(ctx context.Context) error {
	info, err := m.isolation().Info(ctx)
	if err != nil {
		return err
	}
	if !slices.Contains(info.Capabilities, api.CapIsolationPreserveFds) {
		return api.Errorf(api.ErrInvalidArgument, "use --isolation native",
			"--preserve-fds: the isolation plugin %s does not announce %s", info.Name, api.CapIsolationPreserveFds)
	}
	return nil
}
