package storage

import (
	"archive/tar"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	imgspecv1 "github.com/opencontainers/image-spec/specs-go/v1"
	"go.podman.io/image/v5/pkg/compression"
)

// Archive formats accepted by Load.
const (
	FormatDockerArchive = "docker-archive"
	FormatOCIArchive    = "oci-archive"
)

// maxIndexSize bounds how much of an OCI index.json is read.
const maxIndexSize = 4 << 20

// archiveInfo is what a pass over an archive's tar headers found.
type archiveInfo struct {
	format string
	index  *imgspecv1.Index // oci-archive only
}

// scanArchive walks every tar header of the file at p (seeking over the
// contents when the file is not compressed, so it is cheap). It finds the
// archive's format and rejects truncated or non-tar files before
// anything is written to the store.
func scanArchive(p string) (archiveInfo, error) {
	f, err := os.Open(p)
	if err != nil {
		return archiveInfo{}, err
	}
	defer f.Close()
	r, err := tarStream(f)
	if err != nil {
		return archiveInfo{}, err
	}
	defer r.Close()
	var info archiveInfo
	var hasManifest, hasOCI bool
	tr := tar.NewReader(r)
	for n := 0; ; n++ {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) && n > 0 {
			break
		}
		if errors.Is(err, io.EOF) {
			return archiveInfo{}, errors.New("not a tar archive, or an empty one")
		}
		if err != nil {
			return archiveInfo{}, fmt.Errorf("broken tar archive: %w", err)
		}
		if err := checkEntry(hdr); err != nil {
			return archiveInfo{}, err
		}
		switch path.Clean(strings.TrimPrefix(hdr.Name, "./")) {
		case "manifest.json":
			hasManifest = true
		case "oci-layout":
			hasOCI = true
		case "index.json":
			hasOCI = true
			if info.index, err = readIndex(tr); err != nil {
				return archiveInfo{}, err
			}
		}
	}
	switch {
	case hasManifest:
		info.format = FormatDockerArchive
	case hasOCI && info.index != nil:
		info.format = FormatOCIArchive
	default:
		return archiveInfo{}, errors.New("neither manifest.json (docker-archive) nor index.json (oci-archive) in it")
	}
	return info, nil
}

// tarStream returns the file itself when it is a plain tar (keeping Seek
// for tar.Reader), or a decompressing reader.
func tarStream(f *os.File) (io.ReadCloser, error) {
	decompress, in, err := compression.DetectCompression(f)
	if err != nil {
		return nil, fmt.Errorf("failed to read: %w", err)
	}
	if decompress == nil {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
		return io.NopCloser(f), nil
	}
	rc, err := decompress(in)
	if err != nil {
		return nil, fmt.Errorf("broken compressed stream: %w", err)
	}
	return rc, nil
}

func readIndex(r io.Reader) (*imgspecv1.Index, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxIndexSize))
	if err != nil {
		return nil, fmt.Errorf("failed to read index.json: %w", err)
	}
	var idx imgspecv1.Index
	if err := json.Unmarshal(b, &idx); err != nil {
		return nil, fmt.Errorf("malformed index.json: %w", err)
	}
	return &idx, nil
}
