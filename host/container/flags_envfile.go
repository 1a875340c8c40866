package container

import (
	"bufio"
	"bytes"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rrun-project/rrun/plugins/api"
)

// readEnvFile reads docker's env-file format: KEY=VALUE lines taken as they
// are (no quotes, no trimming of the value), '#' comments and blank lines
// skipped, a bare KEY takes the caller's value or is left out when unset.
func readEnvFile(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, api.Errorf(api.ErrInvalidArgument, "give a readable file of KEY=VALUE lines",
			"cannot read env file %s: %v", path, unwrapPathError(err))
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var vars []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		kv, err := envFileLine(sc.Text())
		if err != nil {
			return nil, api.Errorf(api.ErrInvalidArgument, "write one KEY=VALUE per line",
				"env file %s, line %d: %v", path, n, err)
		}
		if kv != "" {
			vars = append(vars, kv)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, api.Errorf(api.ErrInvalidArgument, "", "cannot read env file %s: %v", path, err)
	}
	return vars, nil
}

type envLineError string

func (e envLineError) Error() string { return string(e) }

// envFileLine returns the variable of one line, or "" for none.
func envFileLine(raw string) (string, error) {
	if !utf8.ValidString(raw) {
		return "", envLineError("invalid UTF-8")
	}
	line := strings.TrimLeftFunc(raw, unicode.IsSpace)
	if line == "" || strings.HasPrefix(line, "#") {
		return "", nil
	}
	key, val, hasVal := strings.Cut(line, "=")
	switch {
	case key == "":
		return "", envLineError("no variable name")
	case strings.ContainsFunc(key, unicode.IsSpace) && hasVal:
		return "", envLineError("variable '" + key + "' contains whitespace")
	case hasVal:
		return key + "=" + val, nil
	}
	key = strings.TrimSpace(key)
	if strings.ContainsFunc(key, unicode.IsSpace) {
		return "", envLineError("variable '" + key + "' contains whitespace")
	}
	if v, ok := os.LookupEnv(key); ok {
		return key + "=" + v, nil
	}
	return "", nil
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
