package doctor

import (
	"fmt"
	"io"
)

var marks = map[Status]string{StatusOK: "✓", StatusWarn: "!", StatusFail: "✗", StatusSkip: "-"}

// WriteText prints the report on one screen: a line per check and, under
// each check that is not ok, the fix.
func WriteText(w io.Writer, rep Report) error {
	for _, c := range rep.Checks {
		if _, err := fmt.Fprintf(w, "%s %-30s %s\n", marks[c.Status], c.Title, c.Evidence); err != nil {
			return err
		}
		if c.Fix != "" && c.Status != StatusOK {
			fmt.Fprintf(w, "  %-30s fix: %s\n", "", c.Fix)
		}
	}
	verdict := "rrun can run containers here"
	if !rep.OK {
		verdict = "rrun cannot run containers here: fix the ✗ lines above"
	}
	_, err := fmt.Fprintln(w, verdict+".")
	return err
}
