package monitor

import (
	"fmt"

	"github.com/rrun-project/rrun/plugins/api"
)

// writeStdin passes what an attached client typed to the container: into
// its stdin pipe, or its terminal with -t. A container without -i has no
// stdin to write to.
func (m *monitor) writeStdin(data []byte) error {
	w := m.stdinW
	if m.rec.Options.TTY {
		w = m.master
	}
	if w == nil || !m.rec.Options.Interactive {
		return api.Errorf(api.ErrFailedPrecondition, "run it with -i", "container %s has no stdin attached", m.rec.ShortID())
	}
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("failed to write to the stdin of %s: %w", m.rec.ShortID(), err)
	}
	return nil
}
