// Command rrun runs OCI/Docker images as an ordinary user. See README.md.
package main

import (
	"os"

	"go.podman.io/storage/pkg/reexec"
)

func main() {
	// c/storage re-execs this binary for untar/apply/chown: it must see its
	// own argv[0] before anything else runs.
	if reexec.Init() {
		return
	}
	if role := reexecRole(os.Args); role != nil {
		role() // never returns
	}
	os.Exit(execute())
}
