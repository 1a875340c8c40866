package pluginmgr

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// RemoveStaleSockets removes the socket directories that plugins killed
// with SIGKILL left in runDir/plugins (a plugin that exits cleanly has its
// directory removed by the Manager). A directory is stale when no socket
// in it has a listener, or when it is older than a minute and still holds
// no socket (its plugin died before it listened). It returns how many it
// removed.
func RemoveStaleSockets(runDir string) int {
	parent := filepath.Join(runDir, "plugins")
	entries, err := os.ReadDir(parent)
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range entries {
		dir := filepath.Join(parent, e.Name())
		if e.IsDir() && strings.HasPrefix(e.Name(), "plugin-dir") && socketDirStale(dir) {
			if os.RemoveAll(dir) == nil {
				n++
			}
		}
	}
	return n
}

// socketDirStale reports whether nothing listens on any socket in dir.
func socketDirStale(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	sockets := 0
	for _, e := range entries {
		if e.Type()&os.ModeSocket == 0 {
			continue
		}
		sockets++
		// A socket is bound a moment before its plugin listens: a young
		// one that refuses may be a plugin starting up.
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) < 10*time.Second {
			return false
		}
		if listening(filepath.Join(dir, e.Name())) {
			return false
		}
	}
	if sockets > 0 {
		return true
	}
	st, err := os.Stat(dir)
	return err == nil && time.Since(st.ModTime()) > time.Minute
}

// listening dials the unix socket p: only a refused connection (no
// listener, its plugin is gone) counts as not listening.
func listening(p string) bool {
	c, err := net.DialTimeout("unix", p, time.Second)
	if err == nil {
		c.Close()
		return true
	}
	return !errors.Is(err, syscall.ECONNREFUSED)
}
