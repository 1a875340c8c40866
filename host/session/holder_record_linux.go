package session

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/host/proc"
)

// Holder is what $RUN/holder records about the running session holder.
type Holder struct {
	PID     int
	Start   uint64 // field 22 of /proc/PID/stat: tells a recycled pid apart
	Binary  BinaryID
	Mapping string
	Warning string // the mapping's warning, said by every joined command
}

// BinaryID identifies the rrun binary a holder (or plugin) was started
// from: a command from another binary never joins it.
type BinaryID struct{ Dev, Ino, Size, Mtime uint64 }

// SelfBinary is the identity of this process's binary.
func SelfBinary() (BinaryID, error) {
	var st unix.Stat_t
	if err := unix.Stat("/proc/self/exe", &st); err != nil {
		return BinaryID{}, fmt.Errorf("failed to stat /proc/self/exe: %w", err)
	}
	return BinaryID{Dev: st.Dev, Ino: st.Ino, Size: uint64(st.Size), Mtime: uint64(st.Mtim.Nano())}, nil
}

func holderPath(runDir string) string { return filepath.Join(runDir, "holder") }

// ReadHolder reads the holder's record; ok is false when there is none.
func ReadHolder(runDir string) (h Holder, ok bool) {
	data, err := os.ReadFile(holderPath(runDir))
	if err != nil {
		return h, false
	}
	first, warning, _ := strings.Cut(string(data), "\n")
	b := &h.Binary
	n, err := fmt.Sscanf(first, "%d %d %d %d %d %d %s", &h.PID, &h.Start, &b.Dev, &b.Ino, &b.Size, &b.Mtime, &h.Mapping)
	h.Warning = strings.TrimSpace(warning)
	return h, err == nil && n == 7
}

// Alive reports whether h's process still runs (same pid, same start).
func (h Holder) Alive() bool { return h.PID > 0 && processStart(h.PID) == h.Start }

// Age is how long the holder has run.
func (h Holder) Age() time.Duration {
	st, err := os.Stat(fmt.Sprintf("/proc/%d", h.PID))
	if err != nil {
		return 0
	}
	return time.Since(st.ModTime()).Round(time.Second)
}

// processStart is the holder's start time, 0 when pid is gone, a zombie
// (a dead holder nobody reaped is no holder) or exiting (killed, and still
// tearing its namespaces down: they can no longer be joined).
func processStart(pid int) uint64 {
	if s, ok := proc.Read(pid); ok && s.Live() && !s.Exiting() {
		return s.Start
	}
	return 0
}

func writeHolder(runDir string, h Holder) error {
	b := h.Binary
	data := fmt.Sprintf("%d %d %d %d %d %d %s\n%s\n", h.PID, h.Start, b.Dev, b.Ino, b.Size, b.Mtime, h.Mapping, h.Warning)
	tmp := holderPath(runDir) + ".new"
	if err := os.WriteFile(tmp, []byte(data), 0o600); err != nil {
		return fmt.Errorf("failed to record the session holder: %w", err)
	}
	if err := os.Rename(tmp, holderPath(runDir)); err != nil {
		return fmt.Errorf("failed to record the session holder: %w", err)
	}
	return nil
}

// TouchHolder tells the holder a command used it: it stays up for another
// idle timeout.
func TouchHolder(runDir string) {
	now := time.Now()
	_ = os.Chtimes(holderPath(runDir), now, now) // a holder gone meanwhile: the next command starts one
}

// PinHolder keeps the holder up, whatever its idle timeout, while process
// pid lives: the pin names pid and its start time, which the holder checks
// (join/join_linux.c) and removes once that process is gone.
func PinHolder(runDir string, pid int) error {
	start := processStart(pid)
	if start == 0 {
		return nil // gone already: nothing to keep the holder up for
	}
	dir := filepath.Join(runDir, "holder-pins")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("failed to pin the session holder: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, fmt.Sprintf("%d-%d", pid, start)), os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("failed to pin the session holder: %w", err)
	}
	return f.Close()
}
