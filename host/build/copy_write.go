package build

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"syscall"
	"time"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/patternmatcher"
	"golang.org/x/sys/unix"
)

// writer writes copied files into a root filesystem, keeping modes,
// setuid bits, times and hardlinks, and giving them the step's owner.
type writer struct {
	root      string
	own       owner
	keepOwner bool
	chmod     *os.FileMode
	ignore    *patternmatcher.PatternMatcher
	links     map[uint64]string // source inode -> first copy, for hardlinks
}

// copyOne copies source file or directory f to dest.
func (w *writer) copyOne(src *copySource, f, dest string, destDir, unpack bool) error {
	sp, err := src.path(f)
	if err != nil {
		return err
	}
	fi, err := os.Lstat(sp)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return w.copyTree(src, f, sp, dest)
	}
	if unpack {
		if ok, err := w.extractArchive(sp, dest); ok || err != nil {
			return err
		}
	}
	return w.copyEntry(sp, fi, destFor(dest, f, destDir, w.isDir))
}

// copyTree copies the contents of directory sp (f in the source) into dest.
func (w *writer) copyTree(src *copySource, f, sp, dest string) error {
	var dirs []string
	var dirInfos []os.FileInfo
	err := filepath.Walk(sp, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		r, _ := filepath.Rel(sp, p)
		if src.local && ignored(w.ignore, path.Join(f, filepath.ToSlash(r))) {
			if fi.IsDir() && !w.ignore.Exclusions() {
				return filepath.SkipDir
			}
			return nil
		}
		dst := path.Join(dest, filepath.ToSlash(r))
		if r == "." { // the directory itself is not copied, only its contents
			return w.ensureDir(dest)
		}
		if fi.IsDir() {
			dirs, dirInfos = append(dirs, dst), append(dirInfos, fi)
		}
		return w.copyEntry(p, fi, dst)
	})
	if err != nil {
		return err
	}
	for i := len(dirs) - 1; i >= 0; i-- { // children changed them: set times last
		if hp, err := w.hostPath(dirs[i]); err == nil {
			w.setTimes(hp, dirInfos[i])
		}
	}
	return nil
}

// hostPath resolves dst's parent inside the root (symlinks stay inside)
// and joins dst's own name, which is not followed.
func (w *writer) hostPath(dst string) (string, error) {
	dir, err := securejoin.SecureJoin(w.root, path.Dir(dst))
	if err != nil {
		return "", err
	}
	if dst == "/" {
		return dir, nil
	}
	return filepath.Join(dir, path.Base(dst)), nil
}

func (w *writer) isDir(dst string) bool {
	p, err := securejoin.SecureJoin(w.root, dst)
	if err != nil {
		return false
	}
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// mkParents creates dst's missing parent directories (0755, the step's
// owner) and returns dst's host path.
func (w *writer) mkParents(dst string) (string, error) {
	dir := "/"
	for _, part := range splitPath(path.Dir(dst)) {
		dir = path.Join(dir, part)
		p, err := securejoin.SecureJoin(w.root, dir)
		if err != nil {
			return "", err
		}
		if _, err := os.Lstat(p); err == nil {
			continue
		}
		if err := os.Mkdir(p, 0o755); err != nil {
			return "", fmt.Errorf("failed to create %s: %w", dir, err)
		}
		if err := os.Lchown(p, w.own.uid, w.own.gid); err != nil {
			return "", fmt.Errorf("failed to chown %s: %w", dir, err)
		}
	}
	return w.hostPath(dst)
}

// splitPath returns the components of an absolute slash path.
func splitPath(p string) []string {
	var parts []string
	for p = path.Clean(p); p != "/" && p != "."; p = path.Dir(p) {
		parts = append([]string{path.Base(p)}, parts...)
	}
	return parts
}

// ensureDir creates directory dst (0755, the step's owner) when missing.
func (w *writer) ensureDir(dst string) error {
	hp, err := w.mkParents(dst)
	if err != nil {
		return err
	}
	if fi, err := os.Stat(hp); err == nil && fi.IsDir() {
		return nil
	}
	if err := os.Mkdir(hp, 0o755); err != nil {
		return fmt.Errorf("failed to create %s: %w", dst, err)
	}
	return os.Lchown(hp, w.own.uid, w.own.gid)
}

// copyEntry copies one file, directory, symlink or device to dst.
func (w *writer) copyEntry(sp string, fi os.FileInfo, dst string) error {
	hp, err := w.mkParents(dst)
	if err != nil {
		return err
	}
	if err := w.create(sp, fi, hp); err != nil {
		return fmt.Errorf("failed to copy to %s: %w", dst, err)
	}
	if err := w.setMeta(hp, fi); err != nil {
		return err
	}
	return copyXattrs(sp, hp)
}

func (w *writer) create(sp string, fi os.FileInfo, hp string) error {
	if fi.IsDir() {
		if cur, err := os.Lstat(hp); err == nil && cur.IsDir() {
			return nil
		}
		_ = os.Remove(hp) // a file in the way: a directory replaces it
		return os.Mkdir(hp, 0o755)
	}
	if cur, err := os.Lstat(hp); err == nil {
		if cur.IsDir() {
			return fmt.Errorf("cannot replace directory %s with a file", hp)
		}
		if err := os.Remove(hp); err != nil {
			return err
		}
	}
	st, _ := fi.Sys().(*syscall.Stat_t)
	if st != nil && st.Nlink > 1 && !fi.IsDir() {
		if first, ok := w.links[st.Ino]; ok {
			return os.Link(first, hp)
		}
		w.links[st.Ino] = hp
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(sp)
		if err != nil {
			return err
		}
		return os.Symlink(target, hp)
	case fi.Mode().IsRegular():
		return copyFile(sp, hp)
	case st != nil:
		return unix.Mknod(hp, st.Mode, int(st.Rdev))
	}
	return fmt.Errorf("cannot copy %s: unsupported file type", sp)
}

func copyFile(sp, hp string) error {
	in, err := os.Open(sp)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(hp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// setMeta gives hp its owner, then its mode (chown clears setuid), then
// the source's modification time.
func (w *writer) setMeta(hp string, fi os.FileInfo) error {
	uid, gid := w.own.uid, w.own.gid
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && w.keepOwner && !w.own.set {
		uid, gid = int(st.Uid), int(st.Gid)
	}
	if err := os.Lchown(hp, uid, gid); err != nil {
		return fmt.Errorf("failed to chown %s: %w", hp, err)
	}
	if fi.Mode()&fs.ModeSymlink == 0 {
		mode := fi.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
		if w.chmod != nil {
			mode = *w.chmod
		}
		if err := os.Chmod(hp, mode); err != nil {
			return fmt.Errorf("failed to chmod %s: %w", hp, err)
		}
	}
	w.setTimes(hp, fi)
	return nil
}

func (w *writer) setTimes(hp string, fi os.FileInfo) {
	ts := []unix.Timespec{unix.NsecToTimespec(fi.ModTime().UnixNano()), unix.NsecToTimespec(fi.ModTime().UnixNano())}
	_ = unix.UtimesNanoAt(unix.AT_FDCWD, hp, ts, unix.AT_SYMLINK_NOFOLLOW) // times are best effort, as cp -p
}

// writeContent writes a COPY heredoc.
func (w *writer) writeContent(sc instructions.SourceContent, dest string, destDir bool) error {
	dst := destFor(dest, sc.Path, destDir, w.isDir)
	hp, err := w.mkParents(dst)
	if err != nil {
		return err
	}
	_ = os.Remove(hp)
	if err := os.WriteFile(hp, []byte(sc.Data), 0o644); err != nil {
		return err
	}
	mode := os.FileMode(0o644)
	if w.chmod != nil {
		mode = *w.chmod
	}
	if err := os.Lchown(hp, w.own.uid, w.own.gid); err != nil {
		return err
	}
	if err := os.Chmod(hp, mode); err != nil {
		return err
	}
	now := time.Now()
	return os.Chtimes(hp, now, now)
}
