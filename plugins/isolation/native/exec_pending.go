//go:build linux

package native

import (
	"context"

	"github.com/rrun-project/rrun/plugins/api"
)

// Exec and ResizePty arrive with the container lifecycle work (issue 4);
// until then the backend does not announce isolation.exec or isolation.tty.

func (b *Backend) Exec(context.Context, api.ExecRequest) (int, error) {
	return 0, api.Errorf(api.ErrNotImplemented, "", "isolation native: exec is not implemented yet")
}

func (b *Backend) ResizePty(context.Context, string, string, uint, uint) error {
	return api.Errorf(api.ErrNotImplemented, "", "isolation native: terminals are not implemented yet")
}
