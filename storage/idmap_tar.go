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
// the copy would show it as nobody.
func mapTar(dst io.Writer, src io.Reader, m *idtools.IDMappings) error {
	tr, tw := tar.NewReader(src), tar.NewWriter(dst)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return tw.Close()
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
