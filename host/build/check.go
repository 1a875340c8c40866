package build

import (
	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"github.com/rrun-project/rrun/plugins/api"
)

// checkCommands refuses, before any step runs, the flags rrun does not
// implement and an ADD of a URL without a network, naming the file and
// line.
func checkCommands(path string, st instructions.Stage, network string) error {
	for _, cmd := range st.Commands {
		reason := unsupported(cmd)
		if a, ok := cmd.(*instructions.AddCommand); ok && reason == "" && network == "none" && len(a.SourcePaths) > 0 && isURL(a.SourcePaths[0]) {
			reason = "ADD " + a.SourcePaths[0] + ": cannot download with --network none (build with --network host or pasta)"
		}
		if reason != "" {
			line := 0
			if loc := cmd.Location(); len(loc) > 0 {
				line = loc[0].Start.Line
			}
			return api.Errorf(api.ErrNotImplemented, "see docs/build.md", "%s:%d: %s", path, line, reason)
		}
	}
	return nil
}

func unsupported(cmd instructions.Command) string {
	switch c := cmd.(type) {
	case *instructions.CopyCommand:
		if c.Parents {
			return "COPY --parents is not supported"
		}
		if len(c.ExcludePatterns) > 0 {
			return "COPY --exclude is not supported"
		}
	case *instructions.AddCommand:
		if c.KeepGitDir != nil {
			return "ADD --keep-git-dir is not supported"
		}
		if len(c.ExcludePatterns) > 0 {
			return "ADD --exclude is not supported"
		}
	case *instructions.RunCommand:
		for _, f := range c.FlagsUsed {
			switch f {
			case "mount", "network":
			default:
				return "RUN --" + f + " is not supported"
			}
		}
	}
	return ""
}
