package main

import (
	"archive/tar"
	"encoding/json"
	"io"
	"os"
	"strings"
)

// archiveNames are the image names an archive carries: docker-archive's
// manifest.json RepoTags, or oci-archive's index.json ref names. ok is
// false when they cannot be read (a compressed archive): then every name
// of a loaded image is printed.
func archiveNames(path string) (names []string, ok bool) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err != nil {
			return names, ok
		}
		switch strings.TrimPrefix(h.Name, "./") {
		case "manifest.json":
			var m []struct{ RepoTags []string }
			if json.NewDecoder(io.LimitReader(tr, 1<<20)).Decode(&m) != nil {
				return nil, false
			}
			for _, e := range m {
				names = append(names, e.RepoTags...)
			}
			ok = true
		case "index.json":
			var idx struct {
				Manifests []struct{ Annotations map[string]string }
			}
			if json.NewDecoder(io.LimitReader(tr, 1<<20)).Decode(&idx) != nil {
				return nil, false
			}
			for _, m := range idx.Manifests {
				if n := m.Annotations["org.opencontainers.image.ref.name"]; n != "" {
					names = append(names, n)
				}
			}
			ok = true
		}
	}
}

// inArchive reports whether a store name (fully qualified) is one of the
// archive's names, which may be short (busybox:latest) or bare tags.
func inArchive(name string, names []string) bool {
	for _, n := range names {
		if name == n || name == "docker.io/"+n || name == "docker.io/library/"+n || strings.HasSuffix(name, ":"+n) {
			return true
		}
	}
	return false
}
