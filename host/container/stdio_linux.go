package container

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/plugins/api"
)

// NameStdio names the given fds of this process (-1: /dev/null) for the
// isolation backend as /proc/PID/fd/N paths, so the container writes
// straight to the user's terminal, pipe or file with no copy. What cannot be
// reopened through /proc (a socket, or a pipe or tty owned by another user,
// e.g. one made by root before su) is relayed through a pipe of our own.
// The returned function closes the relays, waiting for output to drain.
func NameStdio(stdin, stdout, stderr int) (api.Stdio, func(), error) {
	var closers []func()
	done := func() {
		for _, c := range closers {
			c()
		}
	}
	path := func(fd int, in bool) (string, error) {
		var st unix.Stat_t
		if fd < 0 || unix.Fstat(fd, &st) != nil {
			return "", nil // none, or closed: /dev/null
		}
		if reopenable(fd, in) {
			return fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), fd), nil
		}
		p, closer, err := relay(fd, in)
		closers = append(closers, closer)
		return p, err
	}
	var s api.Stdio
	var err error
	if s.Stdin, err = path(stdin, true); err == nil {
		if s.Stdout, err = path(stdout, false); err == nil {
			s.Stderr, err = path(stderr, false)
		}
	}
	if err != nil {
		done()
		return s, nil, err
	}
	return s, done, nil
}

// reopenable tries what the backend will do: open the fd through /proc.
func reopenable(fd int, in bool) bool {
	flags := unix.O_WRONLY | unix.O_APPEND
	if in {
		flags = unix.O_RDONLY
	}
	nfd, err := unix.Open(fmt.Sprintf("/proc/self/fd/%d", fd), flags|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return false
	}
	unix.Close(nfd)
	return true
}

// relay copies between fd and a new pipe whose other end the backend
// opens by path.
func relay(fd int, in bool) (string, func(), error) {
	dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 3)
	if err != nil {
		return "", func() {}, fmt.Errorf("failed to duplicate stdio fd %d: %w", fd, err)
	}
	peer := os.NewFile(uintptr(dup), "stdio") // ours to close, unlike fd
	r, w, err := os.Pipe()
	if err != nil {
		peer.Close()
		return "", func() {}, fmt.Errorf("failed to create a stdio pipe: %w", err)
	}
	copied := make(chan struct{})
	if in {
		go func() { _, _ = io.Copy(w, peer); w.Close(); close(copied) }()
		return fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), r.Fd()), func() { r.Close(); peer.Close() }, nil
	}
	go func() { _, _ = io.Copy(peer, r); close(copied) }()
	return fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), w.Fd()), func() { w.Close(); <-copied; r.Close(); peer.Close() }, nil
}

// NameExtraFiles names fds of this process as the container's fds 3, 4,
// ... (--preserve-fds), each with its open flags, for the backend to
// reopen through /proc. A socket cannot be reopened by path: it is
// refused.
func NameExtraFiles(fds []int) ([]api.ExtraFile, error) {
	out := make([]api.ExtraFile, 0, len(fds))
	for i, fd := range fds {
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			return nil, api.Errorf(api.ErrInvalidArgument, "", "--preserve-fds: fd %d is not open", 3+i)
		}
		if st.Mode&unix.S_IFMT == unix.S_IFSOCK {
			return nil, api.Errorf(api.ErrInvalidArgument, "pass the socket's data through a pipe, or a path with -v",
				"--preserve-fds: fd %d is a socket, which rrun cannot hand to a container", 3+i)
		}
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
		if err != nil {
			return nil, fmt.Errorf("failed to read the flags of fd %d: %w", 3+i, err)
		}
		out = append(out, api.ExtraFile{Path: fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), fd), Flags: flags})
	}
	return out, nil
}
