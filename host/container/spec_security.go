package container

import (
	"strconv"
	"strings"

	"github.com/rrun-project/rrun/plugins/api"
)

// unconfinedOpts turn off protections rrun does not apply yet, so they are
// accepted and change nothing.
var unconfinedOpts = map[string]bool{
	"seccomp=unconfined": true, "seccomp:unconfined": true,
	"apparmor=unconfined": true, "apparmor:unconfined": true,
	"label=disable": true, "label:disable": true,
}

// noNewPrivileges reads --security-opt values: no-new-privileges[:=true|false].
func noNewPrivileges(vals []string) (bool, error) {
	nnp := false
	for _, v := range vals {
		if unconfinedOpts[v] {
			continue
		}
		key, val, hasVal := strings.Cut(v, ":")
		if !hasVal {
			key, val, hasVal = strings.Cut(v, "=")
		}
		if key != "no-new-privileges" {
			return false, api.Errorf(api.ErrInvalidArgument, "rrun supports --security-opt no-new-privileges[:true|false]",
				"security option %q is not supported", v)
		}
		on := true
		if hasVal {
			b, err := strconv.ParseBool(val)
			if err != nil {
				return false, api.Errorf(api.ErrInvalidArgument, "use no-new-privileges:true or :false",
					"invalid --security-opt %q", v)
			}
			on = b
		}
		nnp = on
	}
	return nnp, nil
}
