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
// archive's format and rejects truncated or non-tar files, and layers
// checkLayer refuses, before anything is written to the store.
func scanArchive(p string) (archiveInfo, error) {
	f, err := os.Open(p)
	if err != nil {
		return archiveInfo{}, err
	}
	defer f.Close()
	r, seekable, err := tarStream(f)
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
		default:
			if err := checkMember(hdr, tr, seekable); err != nil {
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

// checkMember checks a regular file of the archive that is a layer. f is
// the archive file when it is not compressed (nil otherwise): then the
// layer is read where it lies, seeking over its contents.
func checkMember(hdr *tar.Header, tr io.Reader, f *os.File) error {
	if hdr.Typeflag != tar.TypeReg {
		return nil
	}
	r := tr
	if f != nil {
		off, err := f.Seek(0, io.SeekCurrent) // tar.Reader reads no further than the header
		if err != nil {
			return err
		}
		r = io.NewSectionReader(f, off, hdr.Size)
	}
	return checkLayer(hdr.Name, r)
}

// tarStream returns the file itself when it is a plain tar (keeping Seek
// for tar.Reader, and returning it as seekable), or a decompressing reader.
func tarStream(f *os.File) (io.ReadCloser, *os.File, error) {
	decompress, in, err := compression.DetectCompression(f)
	if err != nil {
		return nil, nil, fmt.Errorf("failed to read: %w", err)
	}
	if decompress == nil {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, nil, err
		}
		return nopCloseFile{f}, f, nil
	}
	rc, err := decompress(in)
	if err != nil {
		return nil, nil, fmt.Errorf("broken compressed stream: %w", err)
	}
	return rc, nil, nil
}

// nopCloseFile is the archive file as tar.Reader's input: a ReadSeeker,
// closed by its opener.
type nopCloseFile struct{ *os.File }

func (nopCloseFile) Close() error { return nil }

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
