package storage

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzScanArchive checks what the scanner accepts: an archive whose
// format it names from a manifest.json or an index.json at its root, and
// none of whose entries (names, hard link targets, relative symlink
// targets) climbs out of the directory it is unpacked in.
func FuzzScanArchive(f *testing.F) {
	docker := tarOf(f, entry{name: "manifest.json", body: `[{"Config":"c.json","Layers":["l/layer.tar"]}]`},
		entry{name: "l/", typ: tar.TypeDir}, entry{name: "l/layer.tar", body: "x"},
		entry{name: "m/layer.tar", typ: tar.TypeSymlink, link: "../l/layer.tar"})
	oci := tarOf(f, entry{name: "./oci-layout", body: `{"imageLayoutVersion":"1.0.0"}`},
		entry{name: "./index.json", body: `{"schemaVersion":2,"manifests":[]}`},
		entry{name: "blobs/sha256/a", typ: tar.TypeLink, link: "blobs/sha256/b"})
	f.Add(docker)
	f.Add(oci)
	f.Add(gzipped(f, docker))
	f.Add([]byte("not a tar"))
	p := filepath.Join(f.TempDir(), "archive")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		info, err := scanArchive(p)
		if err != nil {
			return
		}
		names := checkEntries(t, p)
		switch info.format {
		case FormatDockerArchive:
			if !names["manifest.json"] {
				t.Fatalf("docker-archive without a manifest.json: %v", names)
			}
		case FormatOCIArchive:
			if info.index == nil || !names["index.json"] {
				t.Fatalf("oci-archive without an index.json: %v", names)
			}
		default:
			t.Fatalf("format %q", info.format)
		}
	})
}

// checkEntries reads the accepted archive at p again and fails t when an
// entry escapes; it returns the cleaned entry names.
func checkEntries(t *testing.T, p string) map[string]bool {
	t.Helper()
	file, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	r, _, err := tarStream(file)
	if err != nil {
		t.Fatalf("accepted, but not readable again: %v", err)
	}
	defer r.Close()
	names := map[string]bool{}
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return names
		}
		if err != nil {
			t.Fatalf("accepted, but broken: %v", err)
		}
		names[path.Clean(strings.TrimPrefix(hdr.Name, "./"))] = true
		target := ""
		switch {
		case hdr.Typeflag == tar.TypeLink:
			target = hdr.Linkname
		case hdr.Typeflag == tar.TypeSymlink && !path.IsAbs(hdr.Linkname):
			target = path.Dir(hdr.Name) + "/" + hdr.Linkname
		}
		if escapesRoot(hdr.Name) || escapesRoot(target) {
			t.Fatalf("accepted an entry that escapes the root: %q (link %q)", hdr.Name, hdr.Linkname)
		}
	}
}

// escapesRoot reports whether p, joined to a directory, leaves it at
// some step (an oracle independent of the scanner's climbsOut).
func escapesRoot(p string) bool {
	const root = "/r/o/o/t"
	for i := range len(p) + 1 {
		if i < len(p) && p[i] != '/' {
			continue
		}
		if j := path.Join(root, p[:i]); j != root && !strings.HasPrefix(j, root+"/") {
			return true
		}
	}
	return false
}

type entry struct {
	name, body, link string
	typ              byte
}

func tarOf(f *testing.F, entries ...entry) []byte {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range entries {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		hdr := &tar.Header{Name: e.name, Typeflag: typ, Linkname: e.link, Mode: 0o644, Size: int64(len(e.body))}
		if typ != tar.TypeReg {
			hdr.Size = 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			f.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.body)); typ == tar.TypeReg && err != nil {
			f.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		f.Fatal(err)
	}
	return b.Bytes()
}

func gzipped(f *testing.F, data []byte) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(data); err != nil {
		f.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		f.Fatal(err)
	}
	return b.Bytes()
}
