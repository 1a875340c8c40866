package container

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/plugins/api"
)

// stdioFor names the session's own stdio for the isolation backend as
// /proc/PID/fd/N paths, so the container writes straight to the user's
// terminal, pipe or file with no copy. What cannot be reopened through /proc
// (a socket, or a pipe or tty owned by another user, e.g. one made by root
// before su) is relayed through a pipe of our own. stdin is attached only
// when interactive, as docker does.
func stdioFor(interactive bool) (api.Stdio, func(), error) {
	var closers []func()
	done := func() {
		for _, c := range closers {
			c()
		}
	}
	path := func(fd int, in bool) (string, error) {
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			return "", nil // closed: /dev/null
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
	if interactive {
		if s.Stdin, err = path(0, true); err != nil {
			done()
			return s, nil, err
		}
	}
	if s.Stdout, err = path(1, false); err == nil {
		s.Stderr, err = path(2, false)
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

// relay copies between a socket fd and a new pipe whose other end the
// backend opens by path. The returned closer waits for output to drain.
func relay(fd int, in bool) (string, func(), error) {
	r, w, err := os.Pipe()
	if err != nil {
		return "", func() {}, fmt.Errorf("failed to create a stdio pipe: %w", err)
	}
	sock := os.NewFile(uintptr(fd), "stdio")
	copied := make(chan struct{})
	if in {
		go func() { _, _ = io.Copy(w, sock); w.Close(); close(copied) }()
		return fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), r.Fd()), func() { r.Close() }, nil
	}
	go func() { _, _ = io.Copy(sock, r); close(copied) }()
	return fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), w.Fd()), func() { w.Close(); <-copied; r.Close() }, nil
}
