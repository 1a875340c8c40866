package build

import (
	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"github.com/rrun-project/rrun/plugins/api"
)

// checkCommands refuses, before any step runs, the flags rrun does not
// implement, naming the file and line.
func checkCommands(path string, st instructions.Stage) error {
	for _, cmd := range st.Commands {
		if reason := unsupported(cmd); reason != "" {
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
		if c.Checksum != "" || c.KeepGitDir != nil {
			return "ADD --checksum and --keep-git-dir are not supported"
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
