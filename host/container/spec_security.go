package container

import (
	"os"
	"strconv"
	"strings"

	"github.com/rrun-project/rrun/plugins/api"
)

// acceptedOpts turn off protections rrun does not apply, so they are
// accepted and change nothing.
var acceptedOpts = map[string]bool{
	"apparmor=unconfined": true, "apparmor:unconfined": true,
	"label=disable": true, "label:disable": true,
}

// seccompUnconfined is the seccomp value that turns the filter off.
const seccompUnconfined = "unconfined"

// securityOpts are the --security-opt values, parsed.
type securityOpts struct {
	noNewPrivileges bool
	// seccomp is "" (docker's default profile), "unconfined", or a
	// profile in docker's JSON format (Resolve replaces a file name by the
	// file's contents, as the docker CLI does).
	seccomp string
}

// parseSecurityOpts reads no-new-privileges[:=true|false] and
// seccomp=unconfined|PROFILE; a later value of an option wins.
func parseSecurityOpts(vals []string) (securityOpts, error) {
	var s securityOpts
	for _, v := range vals {
		if acceptedOpts[v] {
			continue
		}
		key, val, hasVal := splitOpt(v)
		switch key {
		case "no-new-privileges":
			on, err := parseNoNewPrivileges(v, val, hasVal)
			if err != nil {
				return s, err
			}
			s.noNewPrivileges = on
		case "seccomp":
			if val == "" {
				return s, api.Errorf(api.ErrInvalidArgument, "use seccomp=unconfined or seccomp=PROFILE.json", "invalid --security-opt %q", v)
			}
			s.seccomp = val
		default:
			return s, api.Errorf(api.ErrInvalidArgument,
				"rrun supports --security-opt no-new-privileges[:true|false] and seccomp=unconfined|PROFILE.json",
				"security option %q is not supported", v)
		}
	}
	return s, nil
}

// splitOpt splits KEY=VALUE or KEY:VALUE (docker takes both) at the first
// separator; a value may contain either.
func splitOpt(v string) (key, val string, hasVal bool) {
	i := strings.IndexAny(v, "=:")
	if i < 0 {
		return v, "", false
	}
	return v[:i], v[i+1:], true
}

func parseNoNewPrivileges(v, val string, hasVal bool) (bool, error) {
	if !hasVal {
		return true, nil
	}
	b, err := strconv.ParseBool(val)
	if err != nil {
		return false, api.Errorf(api.ErrInvalidArgument, "use no-new-privileges:true or :false", "invalid --security-opt %q", v)
	}
	return b, nil
}

// noNewPrivileges reads --security-opt values: no-new-privileges[:=true|false].
func noNewPrivileges(vals []string) (bool, error) {
	s, err := parseSecurityOpts(vals)
	return s.noNewPrivileges, err
}

// resolveSeccompFile replaces seccomp=FILE by seccomp=<the file's JSON>,
// checked, so that the record holds the profile the container was created
// with (docker's CLI sends the contents too). cwd makes a relative name
// absolute.
func resolveSeccompFile(vals []string, cwd string) ([]string, error) {
	out := make([]string, 0, len(vals))
	for _, v := range vals {
		key, val, _ := splitOpt(v)
		if key != "seccomp" || val == "" || val == seccompUnconfined || strings.HasPrefix(strings.TrimSpace(val), "{") {
			out = append(out, v)
			continue
		}
		path := val
		if !strings.HasPrefix(path, "/") {
			path = cwd + "/" + path
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, api.Errorf(api.ErrInvalidArgument, "give a seccomp profile in docker's JSON format, or seccomp=unconfined",
				"failed to read seccomp profile %s: %v", val, err)
		}
		if _, err := LoadSeccompProfile(data, allCaps()); err != nil {
			return nil, err
		}
		out = append(out, "seccomp="+string(data))
	}
	return out, nil
}
