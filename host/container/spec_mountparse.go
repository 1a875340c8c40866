package container

import (
	"encoding/csv"
	"path/filepath"
	"strings"

	"github.com/rrun-project/rrun/host/volume"
	"github.com/rrun-project/rrun/plugins/api"
)

// userMount is one -v, --mount or --tmpfs value, parsed.
type userMount struct {
	Kind     string   // bind | volume | tmpfs
	Source   string   // host path (bind), volume name (volume, "" = anonymous)
	Dest     string   // absolute path in the container
	ReadOnly bool     //
	Options  []string // propagation for binds, mount options for tmpfs
	Flag     string   // the flag and value, for messages
	MkSource bool     // -v creates a missing host directory; --mount refuses it
}

var propagations = map[string]bool{"shared": true, "rshared": true, "slave": true, "rslave": true, "private": true, "rprivate": true}

func mountError(flag, value, format string, args ...any) error {
	hint := map[string]string{
		"-v":      "use -v HOST-PATH:CTR-PATH[:ro], -v NAME:CTR-PATH[:ro] or -v CTR-PATH",
		"--mount": "use --mount type=bind|volume|tmpfs,src=...,dst=...[,readonly]",
		"--tmpfs": "use --tmpfs CTR-PATH[:OPTIONS]",
	}[flag]
	return api.Errorf(api.ErrInvalidArgument, hint, "invalid %s %q: "+format, append([]any{flag, value}, args...)...)
}

// parseVolume parses docker's -v SRC:DST[:MODE] or DST.
func parseVolume(v string) (userMount, error) {
	m := userMount{Kind: "volume", Flag: "-v " + v}
	parts := strings.Split(v, ":")
	switch len(parts) {
	case 1:
		m.Dest = parts[0]
	case 2, 3:
		m.Source, m.Dest = parts[0], parts[1]
		if m.Source == "" {
			return m, mountError("-v", v, "the source is empty")
		}
	default:
		return m, mountError("-v", v, "too many ':'")
	}
	if isHostPath(m.Source) {
		m.Kind, m.MkSource = "bind", true
	} else if m.Source != "" && volume.ValidateName(m.Source) != nil {
		return m, mountError("-v", v, "%q is neither a host path nor a volume name; host paths start with / or ./", m.Source)
	}
	if err := checkDest("-v", v, m.Dest); err != nil {
		return m, err
	}
	if len(parts) == 3 {
		return m, parseVolumeMode(&m, v, parts[2])
	}
	return m, nil
}

// isHostPath follows docker: a source that is a path, not a volume name.
func isHostPath(s string) bool {
	return strings.HasPrefix(s, "/") || s == "." || s == ".." || strings.HasPrefix(s, "./") || strings.HasPrefix(s, "../")
}

func parseVolumeMode(m *userMount, v, mode string) error {
	var rwSeen, propSeen bool
	for _, o := range strings.Split(mode, ",") {
		switch {
		case (o == "ro" || o == "rw") && !rwSeen:
			m.ReadOnly, rwSeen = o == "ro", true
		case propagations[o] && !propSeen && m.Kind == "bind":
			m.Options, propSeen = append(m.Options, o), true
		case o == "z" || o == "Z" || o == "nocopy":
			// SELinux relabelling and copy-up: nothing to do here.
		default:
			return mountError("-v", v, "bad mode %q", o)
		}
	}
	return nil
}

func checkDest(flag, value, dest string) error {
	switch {
	case dest == "":
		return mountError(flag, value, "no destination in the container")
	case !filepath.IsAbs(dest):
		return mountError(flag, value, "the destination %s is not an absolute path", dest)
	case filepath.Clean(dest) == "/":
		return mountError(flag, value, "the destination cannot be /")
	}
	return nil
}

// parseTmpfs parses --tmpfs DST[:OPTIONS].
func parseTmpfs(v string) (userMount, error) {
	dest, opts, _ := strings.Cut(v, ":")
	m := userMount{Kind: "tmpfs", Dest: dest, Flag: "--tmpfs " + v}
	if err := checkDest("--tmpfs", v, dest); err != nil {
		return m, err
	}
	if opts != "" {
		m.Options = strings.Split(opts, ",")
	}
	return m, nil
}

// splitCSV splits a --mount value as docker does (CSV, quotes allowed).
func splitCSV(v string) ([]string, error) {
	r := csv.NewReader(strings.NewReader(v))
	fields, err := r.Read()
	if err != nil {
		return nil, mountError("--mount", v, "%v", err)
	}
	return fields, nil
}
