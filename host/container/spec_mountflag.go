package container

import (
	"math"
	"strconv"
	"strings"
)

// parseMount parses docker's --mount type=...,src=...,dst=...[,...].
func parseMount(v string) (userMount, error) {
	m := userMount{Kind: "volume", Flag: "--mount " + v}
	fields, err := splitCSV(v)
	if err != nil {
		return m, err
	}
	var tmpfsOpts []string
	for _, f := range fields {
		key, val, hasVal := strings.Cut(f, "=")
		key = strings.ToLower(strings.TrimSpace(key))
		if err := applyMountField(&m, &tmpfsOpts, v, key, val, hasVal); err != nil {
			return m, err
		}
	}
	return m, checkMount(&m, tmpfsOpts, v)
}

func applyMountField(m *userMount, tmpfsOpts *[]string, v, key, val string, hasVal bool) error {
	switch key {
	case "type":
		m.Kind = val
	case "source", "src":
		m.Source = val
	case "destination", "dst", "target":
		m.Dest = val
	case "readonly", "ro":
		ro, err := mountBool(val, hasVal)
		if err != nil {
			return mountError("--mount", v, "bad %s value %q", key, val)
		}
		m.ReadOnly = ro
	case "bind-propagation":
		if !propagations[val] {
			return mountError("--mount", v, "bad bind-propagation %q", val)
		}
		m.Options = append(m.Options, val)
	case "tmpfs-size":
		n, err := parseBytes(val)
		if err != nil {
			return mountError("--mount", v, "bad tmpfs-size %q", val)
		}
		*tmpfsOpts = append(*tmpfsOpts, "size="+strconv.FormatInt(n, 10))
	case "tmpfs-mode":
		if _, err := strconv.ParseUint(val, 8, 32); err != nil {
			return mountError("--mount", v, "bad tmpfs-mode %q (give octal, e.g. 1777)", val)
		}
		*tmpfsOpts = append(*tmpfsOpts, "mode="+val)
	case "volume-driver":
		if val != "local" {
			return mountError("--mount", v, "volume driver %q is not supported (only local)", val)
		}
	case "consistency", "volume-nocopy", "volume-label", "bind-nonrecursive", "bind-recursive":
		// Accepted for compatibility; they change nothing here.
	default:
		return mountError("--mount", v, "unexpected key %q", key)
	}
	return nil
}

func mountBool(val string, hasVal bool) (bool, error) {
	if !hasVal {
		return true, nil
	}
	return strconv.ParseBool(val)
}

func checkMount(m *userMount, tmpfsOpts []string, v string) error {
	if err := checkDest("--mount", v, m.Dest); err != nil {
		return err
	}
	switch m.Kind {
	case "bind":
		if m.Source == "" {
			return mountError("--mount", v, "a bind mount needs a source")
		}
	case "volume":
		if m.Source != "" && isHostPath(m.Source) {
			return mountError("--mount", v, "a volume source is a name, not a path (use type=bind)")
		}
	case "tmpfs":
		if m.Source != "" {
			return mountError("--mount", v, "a tmpfs mount takes no source")
		}
		m.Options = tmpfsOpts
		return nil
	default:
		return mountError("--mount", v, "unknown type %q", m.Kind)
	}
	if len(tmpfsOpts) > 0 {
		return mountError("--mount", v, "tmpfs options need type=tmpfs")
	}
	return nil
}

// parseBytes reads docker's sizes: 65536, 64k, 64m, 1g (powers of 1024).
func parseBytes(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "b"), "i")
	mult := int64(1)
	if n := len(t); n > 0 {
		if i := strings.IndexByte("kmgt", t[n-1]); i >= 0 {
			mult, t = int64(1)<<(10*(i+1)), t[:n-1]
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt64/mult {
		return 0, strconv.ErrSyntax
	}
	return n * mult, nil
}
