package native

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/plugins/api"
)

// openStdio opens the container's stdin, stdout and stderr. Outputs are
// opened for appending so that a log file is added to, not overwritten.
func openStdio(s api.Stdio) ([]*os.File, error) {
	paths := []string{s.Stdin, s.Stdout, s.Stderr}
	flags := []int{os.O_RDONLY, os.O_WRONLY | os.O_APPEND | os.O_CREATE, os.O_WRONLY | os.O_APPEND | os.O_CREATE}
	names := []string{"stdin", "stdout", "stderr"}
	files := make([]*os.File, 0, 3)
	for i, p := range paths {
		if p == "" {
			p, flags[i] = os.DevNull, os.O_RDWR
		}
		f, err := os.OpenFile(p, flags[i], 0o600)
		if err != nil {
			closeAll(files)
			return nil, fmt.Errorf("failed to open %s %s: %w", names[i], p, err)
		}
		files = append(files, f)
	}
	return files, nil
}

// openExtraFiles opens the preserved fds by path with the host fd's
// flags. O_CREAT and O_TRUNC are never honoured: the file exists, and
// what the caller wrote stays.
func openExtraFiles(extra []api.ExtraFile) ([]*os.File, error) {
	const allowed = unix.O_ACCMODE | unix.O_APPEND | unix.O_NONBLOCK | unix.O_PATH | unix.O_DIRECTORY | unix.O_NOFOLLOW
	files := make([]*os.File, 0, len(extra))
	for i, e := range extra {
		f, err := os.OpenFile(e.Path, e.Flags&allowed, 0)
		if err != nil {
			closeAll(files)
			return nil, fmt.Errorf("failed to open preserved fd %d (%s): %w", 3+i, e.Path, err)
		}
		files = append(files, f)
	}
	return files, nil
}

func closeAll(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}
