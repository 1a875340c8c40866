package native

import (
	"fmt"
	"net"
	"os"

	"github.com/rrun-project/rrun/plugins/api"
	"github.com/rrun-project/rrun/plugins/isolation/native/nsinit"
)

// childFiles are the files a container process (init or exec) starts with.
type childFiles struct {
	stdio   []*os.File
	kept    []*os.File    // preserved fds: the child's 3, 4, ...
	conn    *net.UnixConn // the plugin's end of the control socket
	control *os.File      // the child's end: fd 3
	console *os.File      // the plugin's end of the console channel, with a terminal
	child   *os.File      // the child's end: fd 4
}

// childFiles opens the stdio (/dev/null for all three with a terminal:
// the pty replaces them), the preserved fds, the control socket and the
// console channel.
func childFilesFor(id string, s api.Stdio) (*childFiles, error) {
	if s.Terminal {
		s = api.Stdio{Terminal: true, ExtraFiles: s.ExtraFiles}
	}
	stdio, err := openStdio(s)
	if err != nil {
		return nil, api.Errorf(api.ErrInvalidArgument, "", "container %s: %v", id, err)
	}
	f := &childFiles{stdio: stdio}
	if f.kept, err = openExtraFiles(s.ExtraFiles); err != nil {
		closeAll(stdio)
		return nil, api.Errorf(api.ErrInvalidArgument, "", "container %s: %v", id, err)
	}
	f.conn, f.control, err = socketPair()
	if err != nil {
		closeAll(stdio)
		closeAll(f.kept)
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

// extra returns the child's fds from 3: the preserved ones, then the
// control socket and the console channel (base and base+1).
func (f *childFiles) extra() []*os.File {
	return append(append([]*os.File{}, f.kept...), f.control, f.child)
}

// base is the child's fd of the control socket.
func (f *childFiles) base() int { return 3 + len(f.kept) }

// env tells the child its base when fds are preserved before it.
func (f *childFiles) env() []string {
	if len(f.kept) == 0 {
		return []string{}
	}
	return []string{fmt.Sprintf("%s=%d", nsinit.FdBaseEnv, f.base())}
}

// close closes what the child inherited; the plugin keeps conn and console.
func (f *childFiles) close() {
	closeAll(f.stdio)
	closeAll(f.kept)
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
