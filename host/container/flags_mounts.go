package container

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
)

// resolveMounts checks -v, --mount and --tmpfs and makes relative host
// paths absolute against cwd. A --mount bind source must exist (docker's
// rule; -v creates a missing directory when the container is made).
func (o *RunOptions) resolveMounts(cwd string) error {
	for i, v := range o.Volumes {
		m, err := parseVolume(v)
		if err != nil {
			return err
		}
		if m.Kind == "bind" && !filepath.IsAbs(m.Source) {
			o.Volumes[i] = filepath.Join(cwd, m.Source) + strings.TrimPrefix(v, m.Source)
		}
	}
	for i, v := range o.Mounts {
		m, err := parseMount(v)
		if err != nil {
			return err
		}
		if m.Kind != "bind" {
			continue
		}
		if !filepath.IsAbs(m.Source) {
			if o.Mounts[i], err = withMountSource(v, filepath.Join(cwd, m.Source)); err != nil {
				return err
			}
			m.Source = filepath.Join(cwd, m.Source)
		}
		if _, err := os.Stat(m.Source); err != nil {
			return mountError("--mount", v, "bind source path %s does not exist", m.Source)
		}
	}
	_, err := collectMounts(*o)
	return err
}

// withMountSource rewrites the source field of a --mount value.
func withMountSource(v, src string) (string, error) {
	fields, err := splitCSV(v)
	if err != nil {
		return "", err
	}
	for i, f := range fields {
		key, _, _ := strings.Cut(f, "=")
		if k := strings.ToLower(strings.TrimSpace(key)); k == "source" || k == "src" {
			fields[i] = key + "=" + src
		}
	}
	var b strings.Builder
	w := csv.NewWriter(&b)
	if err := w.Write(fields); err != nil {
		return "", err
	}
	w.Flush()
	return strings.TrimSuffix(b.String(), "\n"), nil
}
