package native

import (
	"fmt"
	"net"
	"os"

	"github.com/rrun-project/rrun/plugins/api"
)

// childFiles are the files a container process (init or exec) starts with.
type childFiles struct {
	stdio   []*os.File
	conn    *net.UnixConn // the plugin's end of the control socket
	control *os.File      // the child's end: fd 3
	console *os.File      // the plugin's end of the console channel, with a terminal
	child   *os.File      // the child's end: fd 4
}

// childFiles opens the stdio (/dev/null for all three with a terminal:
// the pty replaces them), the control socket and the console channel.
func childFilesFor(id string, s api.Stdio) (*childFiles, error) {
	if s.Terminal {
		s = api.Stdio{Terminal: true}
	}
	stdio, err := openStdio(s)
	if err != nil {
		return nil, api.Errorf(api.ErrInvalidArgument, "", "container %s: %v", id, err)
	}
	f := &childFiles{stdio: stdio}
	f.conn, f.control, err = socketPair()
	if err != nil {
		closeAll(stdio)
		return nil, fmt.Errorf("failed to create control socket for container %s: %w", id, err)
	}
	if s.Terminal {
		if f.console, f.child, err = consolePair(); err != nil {
			f.close()
			f.conn.Close()
			return nil, err
		}
	}
	return f, nil
}

// extra returns fds 3 and 4 of the child.
func (f *childFiles) extra() []*os.File {
	return []*os.File{f.control, f.child}
}

// close closes what the child inherited; the plugin keeps conn and console.
func (f *childFiles) close() {
	closeAll(f.stdio)
	f.control.Close()
	if f.child != nil {
		f.child.Close()
	}
}

func (f *childFiles) closeConsole() {
	if f.console != nil {
		f.console.Close()
	}
}
