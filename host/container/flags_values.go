package container

import (
	"strconv"
	"strings"

	"github.com/rrun-project/rrun/plugins/api"
)

// envFlags keeps -e and --env-file in docker's order: every env file's
// variables first, in flag order, then every -e.
type envFlags struct {
	env       *[]string
	fromFiles int // how many leading entries of *env came from env files
}

type envValue struct{ f *envFlags }

func (v envValue) Set(s string) error {
	if strings.HasPrefix(s, "=") {
		return api.Errorf(api.ErrInvalidArgument, "use -e KEY=VALUE or -e KEY", "invalid environment variable %q: no name", s)
	}
	*v.f.env = append(*v.f.env, s)
	return nil
}
func (v envValue) String() string { return "[" + strings.Join(*v.f.env, ",") + "]" }
func (v envValue) Type() string   { return "list" }

type envFileValue struct{ f *envFlags }

func (v envFileValue) Set(path string) error {
	vars, err := readEnvFile(path)
	if err != nil {
		return err
	}
	env := *v.f.env
	*v.f.env = append(append(append([]string{}, env[:v.f.fromFiles]...), vars...), env[v.f.fromFiles:]...)
	v.f.fromFiles += len(vars)
	return nil
}
func (v envFileValue) String() string { return "[]" }
func (v envFileValue) Type() string   { return "list" }

// optionalString sets a *string, so that --entrypoint "" differs from no flag.
type optionalString struct{ p **string }

func (v optionalString) Set(s string) error { *v.p = &s; return nil }
func (v optionalString) Type() string       { return "string" }
func (v optionalString) String() string {
	if *v.p == nil {
		return ""
	}
	return **v.p
}

// optionalInt sets an *int, so that an unset flag keeps the default.
type optionalInt struct{ p **int }

func (v optionalInt) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil {
		return api.Errorf(api.ErrInvalidArgument, "give a whole number of seconds", "invalid number %q", s)
	}
	*v.p = &n
	return nil
}
func (v optionalInt) Type() string { return "int" }
func (v optionalInt) String() string {
	if *v.p == nil {
		return ""
	}
	return strconv.Itoa(**v.p)
}

// labelValue fills a map from KEY=VALUE (a bare KEY is an empty value).
type labelValue struct{ m *map[string]string }

func (v labelValue) Set(s string) error {
	key, val, _ := strings.Cut(s, "=")
	if key == "" {
		return api.Errorf(api.ErrInvalidArgument, "use -l KEY=VALUE", "invalid label %q: no key", s)
	}
	if *v.m == nil {
		*v.m = map[string]string{}
	}
	(*v.m)[key] = val
	return nil
}
func (v labelValue) Type() string { return "list" }
func (v labelValue) String() string {
	var kv []string
	for k, val := range *v.m {
		kv = append(kv, k+"="+val)
	}
	return "[" + strings.Join(kv, ",") + "]"
}
