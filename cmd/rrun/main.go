// Command rrun runs OCI/Docker images as an ordinary user. See README.md.
package main

import (
	"os"
	"strings"

	"go.podman.io/storage/pkg/reexec"

	"github.com/rrun-project/rrun/host/session/join"
	"github.com/rrun-project/rrun/host/trace"
)

func main() {
	// c/storage re-execs this binary for untar/apply/chown: it must see its
	// own argv[0] before anything else runs.
	if reexec.Init() {
		return
	}
	holdCollector()
	if join.Joined() || join.Wanted() {
		start, _ := join.Times()
		trace.Rebase(start) // the constructor ran before Go
	}
	trace.Mark("main " + strings.Join(os.Args[1:min(3, len(os.Args))], " "))
	if role := reexecRole(os.Args); role != nil {
		if os.Args[1] != preforkArg { // a pre-started process: once served
			collectLater()
		}
		role() // never returns
	}
	collectLater()
	joinSession()
	code := runCommand()
	finishLater()
	os.Exit(code)
}

// runCommand runs the command line in os.Args and returns its exit code;
// after a keep-id command it starts the layer copier that command asked
// for. Both a command's own process and a pre-started one that serves it
// (runServed) end here: a copier killed midway is restarted by the next
// keep-id command, whichever process serves it.
func runCommand() int {
	keepID := mentionsKeepID(os.Args[1:])
	code := execute()
	startIDMapCopier(keepID)
	return code
}
