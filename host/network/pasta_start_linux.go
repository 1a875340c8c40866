package network

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// startPasta starts cmd, a pasta in the foreground (-f) with --pid
// pidFile, as a child of this process that gets SIGKILL when this process
// dies (Pdeathsig, as slirp4netns): pasta holds the container's network
// namespace open and would otherwise outlive it, since it learns nothing
// when the container ends. It returns once pasta has configured the
// namespace, which it says by writing its pid file (watched with inotify,
// set up before the start), and a func that stops pasta and reaps it.
func startPasta(cmd *exec.Cmd, pidFile string) (stop func(), err error) {
	ready, err := launchPasta(cmd, pidFile)
	if err != nil {
		return nil, err
	}
	return ready()
}

// launchPasta is startPasta without the wait: ready waits (once) until
// pasta has configured the namespace, or has failed.
func launchPasta(cmd *exec.Cmd, pidFile string) (ready func() (stop func(), err error), err error) {
	watch, err := watchWrite(filepath.Dir(pidFile), filepath.Base(pidFile))
	if err != nil {
		return nil, err
	}
	out := &limitedBuffer{max: 4096}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		watch.Close()
		return nil, fmt.Errorf("failed to start pasta: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Kill() // it may have exited: Wait below tells
		<-exited
		_ = os.Remove(pidFile)
	}
	written := make(chan error, 1)
	go func() { written <- watch.wait() }()
	return func() (func(), error) {
		defer watch.Close()
		select {
		case err := <-written:
			if err != nil {
				stop()
				return nil, err
			}
			return stop, nil
		case err := <-exited:
			if err == nil {
				err = errors.New("exited")
			}
			return nil, fmt.Errorf("pasta failed: %s: %w", pastaMessage(out.Bytes()), err)
		}
	}, nil
}

// fileWatch waits for one file of a directory to be closed after writing.
type fileWatch struct {
	f    *os.File
	name string
}

func watchWrite(dir, name string) (*fileWatch, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("failed to watch %s: %w", dir, err)
	}
	if _, err := unix.InotifyAddWatch(fd, dir, unix.IN_CLOSE_WRITE|unix.IN_MOVED_TO); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("failed to watch %s: %w", dir, err)
	}
	return &fileWatch{f: os.NewFile(uintptr(fd), "inotify"), name: name}, nil
}

// wait returns when the file was written, or an error once Close is
// called.
func (w *fileWatch) wait() error {
	buf := make([]byte, 4096)
	for {
		n, err := w.f.Read(buf)
		if err != nil {
			return fmt.Errorf("failed to watch for pasta's pid file: %w", err)
		}
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
			nameBytes := buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+int(ev.Len)]
			off += unix.SizeofInotifyEvent + int(ev.Len)
			if string(bytes.TrimRight(nameBytes, "\x00")) == w.name {
				return nil
			}
		}
	}
}

func (w *fileWatch) Close() { _ = w.f.Close() } // twice is harmless: the second returns ErrClosed

// limitedBuffer keeps the first max bytes written to it: pasta's message
// when it fails, without growing while it runs.
type limitedBuffer struct {
	bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}
