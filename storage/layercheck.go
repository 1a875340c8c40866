package storage

import (
	"archive/tar"
	"bufio"
	"bytes"
	"fmt"
	"io"
	"path"
	"strings"

	"go.podman.io/image/v5/pkg/compression"
)

// Limits on one entry of a layer. Unpacking costs c/storage time that
// grows faster than the square of an entry's depth (a 1,000-deep directory
// layer took ~60 CPU-seconds; 10,000 deep ~80 s before it failed), so
// such a layer is refused before the store sees it. Real images stay far
// below: Debian's deepest path has 15 components.
const (
	maxEntryDepth = 256  // path components
	maxEntryName  = 4096 // bytes, the kernel's PATH_MAX
)

// checkLayer walks the tar headers of one member of an archive (r) and
// refuses an entry past the limits. A member that is not a tar, plain or
// compressed, is not a layer and passes; a broken layer passes too, for
// c/image to report.
func checkLayer(member string, r io.Reader) error {
	tr, done := layerTar(r)
	if tr == nil {
		return nil
	}
	defer done()
	for {
		hdr, err := tr.Next()
		if err != nil {
			return nil
		}
		if err := checkEntryName(hdr.Name); err != nil {
			return fmt.Errorf("layer %s: %w", member, err)
		}
	}
}

// checkEntryName refuses a name too long or too deep to unpack cheaply.
func checkEntryName(name string) error {
	if len(name) > maxEntryName {
		return fmt.Errorf("an entry's name is %d bytes long (more than %d): refusing the layer", len(name), maxEntryName)
	}
	clean := strings.Trim(path.Clean("/"+name), "/")
	if depth := strings.Count(clean, "/") + 1; depth > maxEntryDepth {
		return fmt.Errorf("an entry is %d directories deep (more than %d): refusing the layer", depth, maxEntryDepth)
	}
	return nil
}

// layerTar returns a tar.Reader over r when r is a tar or a compressed
// tar, and what to call when done; nil when it is neither. A
// SectionReader of an uncompressed layer keeps Seek, so only the headers
// are read.
func layerTar(r io.Reader) (*tar.Reader, func()) {
	if sr, ok := r.(*io.SectionReader); ok {
		var block [512]byte
		if n, _ := sr.ReadAt(block[:], 0); isTarHeader(block[:n]) {
			return tar.NewReader(sr), func() {}
		}
	}
	br := bufio.NewReader(r)
	if head, _ := br.Peek(512); isTarHeader(head) {
		return tar.NewReader(br), func() {}
	}
	decompress, in, err := compression.DetectCompression(br)
	if err != nil || decompress == nil {
		return nil, nil
	}
	rc, err := decompress(in)
	if err != nil {
		return nil, nil
	}
	return tar.NewReader(rc), func() { _ = rc.Close() } // a read-only stream: nothing to lose
}

// isTarHeader says whether block starts with a ustar, PAX or GNU header.
func isTarHeader(block []byte) bool {
	return len(block) >= 512 && bytes.HasPrefix(block[257:], []byte("ustar"))
}
