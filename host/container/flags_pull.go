package container

import (
	"path/filepath"
	"strconv"

	"github.com/spf13/pflag"

	"github.com/rrun-project/rrun/plugins/api"
)

// addPullFlags registers podman's registry flags of run and create, which
// apply to the pull that --pull makes.
func addPullFlags(fs *pflag.FlagSet, o *RunOptions) {
	fs.Var(tlsVerifyValue{&o.SkipTLSVerify}, "tls-verify", "require https with a trusted certificate when pulling (false: plain http or self-signed)")
	fs.Lookup("tls-verify").NoOptDefVal = "true"
	fs.StringVar(&o.AuthFile, "authfile", "", "credentials file for the pull (default: $XDG_RUNTIME_DIR/containers/auth.json, ~/.docker/config.json)")
}

// tlsVerifyValue is --tls-verify (default true) stored as its negation, so
// that a record written before the flag existed means "verify".
type tlsVerifyValue struct{ skip *bool }

func (v tlsVerifyValue) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return invalid("use --tls-verify=true or --tls-verify=false", "invalid --tls-verify %q", s)
	}
	*v.skip = !b
	return nil
}
func (v tlsVerifyValue) Type() string   { return "bool" }
func (v tlsVerifyValue) String() string { return strconv.FormatBool(!*v.skip) }

// resolveAuthFile makes --authfile absolute against cwd: the pull may run
// in another process.
func (o *RunOptions) resolveAuthFile(cwd string) error {
	if o.AuthFile != "" && !filepath.IsAbs(o.AuthFile) {
		o.AuthFile = filepath.Join(cwd, o.AuthFile)
	}
	return nil
}

// TransferOptions are the options of the pull --pull makes.
func (o RunOptions) TransferOptions() api.TransferOptions {
	return api.TransferOptions{InsecureSkipTLSVerify: o.SkipTLSVerify, AuthFile: o.AuthFile}
}
