package build

import "io"

// Options are `rrun build`'s flags, resolved: paths are absolute.
type Options struct {
	ContextDir string            // the build context; "" for none
	Dockerfile string            // path of the Dockerfile
	Tags       []string          // -t
	BuildArgs  map[string]string // --build-arg K=V
	Target     string            // --target; "" for the last stage
	NoCache    bool
	Pull       string            // "missing" (default), "always", "never"
	Labels     map[string]string // --label
	Network    string            // none, host, pasta or slirp4netns
	Secrets    map[string]string // --secret id=ID,src=FILE: id -> file
	// CacheMountDir holds the directories of RUN --mount=type=cache.
	CacheMountDir string
	// StateDir is a directory this build owns while it runs: it records
	// the build root filesystems there (RootfsDir) and keeps its
	// temporary files in it. "" records nothing.
	StateDir string
	Quiet    bool
	IIDFile  string
	Platform string
	// Out receives the progress (stderr), Stdout the image id with -q.
	Out, Stdout io.Writer
	// LiveView asks for BuildKit's compact live view (--progress tty, or
	// auto on a terminal) instead of plain lines; Out must be a terminal.
	LiveView bool
}
