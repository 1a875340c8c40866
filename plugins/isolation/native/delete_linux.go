package native

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// destroy kills the container's processes, waits until they are gone and
// removes its run dir.
func (c *container) destroy() error {
	if c.conn != nil {
		c.conn.Close()
	}
	procs := c.procs()
	for _, p := range procs {
		if err := p.signal(unix.SIGKILL); err != nil {
			return fmt.Errorf("failed to kill container %s: %w", c.id, err)
		}
	}
	for _, p := range procs {
		<-p.Done()
	}
	c.closeMasters()
	return removeRunDir(c.id, c.dir)
}

// deletingPrefix names run dirs on their way out.
const deletingPrefix = ".deleting-"

// removeRunDir renames the run dir out of the way first, so that a late
// write of the state file (by another plugin process that still reaps the
// container) cannot land in it while it is being removed. A crash between
// the two leaves a .deleting- dir that Configure removes.
func removeRunDir(id, dir string) error {
	gone := filepath.Join(filepath.Dir(dir), fmt.Sprintf("%s%s-%d", deletingPrefix, id, time.Now().UnixNano()))
	if err := os.Rename(dir, gone); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("failed to remove run dir of container %s: %w", id, err)
	}
	if err := os.RemoveAll(gone); err != nil {
		return fmt.Errorf("failed to remove run dir of container %s: %w", id, err)
	}
	return nil
}
