package build

import (
	"runtime"
	"slices"
	"sort"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
)

// proxyArgs are docker's predefined args: usable with --build-arg without
// an ARG, and kept out of the image's history.
var proxyArgs = []string{
	"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy",
	"NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy",
}

// platformArgs are BuildKit's automatic platform args: set in the global
// scope, and in a stage once it declares them with ARG.
func platformArgs() map[string]string {
	p := "linux/" + runtime.GOARCH
	return map[string]string{
		"TARGETPLATFORM": p, "TARGETOS": "linux", "TARGETARCH": runtime.GOARCH, "TARGETVARIANT": "",
		"BUILDPLATFORM": p, "BUILDOS": "linux", "BUILDARCH": runtime.GOARCH, "BUILDVARIANT": "",
	}
}

// vars is an ordered set of KEY=VALUE pairs, used for ARG scopes and as
// the lexer's environment.
type vars struct {
	keys []string
	vals map[string]string
}

func newVars() *vars { return &vars{vals: map[string]string{}} }

func (v *vars) set(k, val string) {
	if _, ok := v.vals[k]; !ok {
		v.keys = append(v.keys, k)
	}
	v.vals[k] = val
}

func (v *vars) clone() *vars {
	c := newVars()
	for _, k := range v.keys {
		c.set(k, v.vals[k])
	}
	return c
}

// Get and Keys make vars a shell.EnvGetter.
func (v *vars) Get(k string) (string, bool) { val, ok := v.vals[k]; return val, ok }
func (v *vars) Keys() []string              { return slices.Clone(v.keys) }

// fromEnv adds KEY=VALUE entries (an image's Env).
func (v *vars) fromEnv(env []string) *vars {
	for _, kv := range env {
		k, val, _ := strings.Cut(kv, "=")
		v.set(k, val)
	}
	return v
}

// argScope tracks which --build-args a build used, for docker's warning.
type argScope struct {
	given map[string]string
	used  map[string]bool
}

// value is an ARG's value: the --build-arg, else its default, else the
// global value (from meta args) the stage inherits.
func (a *argScope) value(kv instructions.KeyValuePairOptional, global *vars) (string, bool) {
	if v, ok := a.given[kv.Key]; ok {
		a.used[kv.Key] = true
		return v, true
	}
	if kv.Value != nil {
		return *kv.Value, true
	}
	if global != nil {
		return global.Get(kv.Key)
	}
	return "", false
}

// unused lists the --build-args no ARG consumed, sorted.
func (a *argScope) unused() []string {
	var out []string
	for k := range a.given {
		if !a.used[k] && !slices.Contains(proxyArgs, k) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// metaScope evaluates the ARGs before the first FROM: the global scope
// FROM lines expand with.
func metaScope(d *dockerfile, a *argScope) (*vars, error) {
	global := newVars()
	for k, v := range platformArgs() {
		global.set(k, v)
	}
	lex := d.lexer()
	for _, cmd := range d.metaArgs {
		for _, kv := range cmd.Args {
			if kv.Value != nil {
				expanded, _, err := lex.ProcessWord(*kv.Value, global)
				if err != nil {
					return nil, err
				}
				kv.Value = &expanded
			}
			if v, ok := a.value(kv, nil); ok {
				global.set(kv.Key, v)
			}
		}
	}
	return global, nil
}
