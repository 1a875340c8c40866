package storage

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"

	"go.podman.io/storage/pkg/idtools"
)

// mapTar copies the tar stream src to dst with each entry's owner mapped
// from container ids to host ids by m. An id m does not map is an error:
// the copy would show it as nobody. beforeEnd (may be nil) runs before the
// end of the tar is written; its error leaves the tar unfinished.
func mapTar(dst io.Writer, src io.Reader, m *idtools.IDMappings, beforeEnd func() error) error {
	tr, tw := tar.NewReader(src), tar.NewWriter(dst)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return endTar(tw, beforeEnd)
		}
		if err != nil {
			return fmt.Errorf("failed to read the layer's tar: %w", err)
		}
		p, err := m.ToHost(idtools.IDPair{UID: h.Uid, GID: h.Gid})
		if err != nil {
			return fmt.Errorf("failed to map the owner of %s: %w", h.Name, err)
		}
		h.Uid, h.Gid, h.Uname, h.Gname = p.UID, p.GID, "", ""
		if err := tw.WriteHeader(h); err != nil {
			return fmt.Errorf("failed to write the mapped tar: %w", err)
		}
		if _, err := io.Copy(tw, tr); err != nil {
			return fmt.Errorf("failed to write the mapped tar: %w", err)
		}
		pauseCopyForTest()
	}
}

// endTar runs beforeEnd, unless nil, then writes the end of the tar.
func endTar(tw *tar.Writer, beforeEnd func() error) error {
	if beforeEnd != nil {
		if err := beforeEnd(); err != nil {
			return err
		}
	}
	return tw.Close()
}
