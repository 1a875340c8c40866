//go:build !linux

package nsinit

import "os"

// NsenterBuilt is false: there are no namespaces to enter outside Linux.
const NsenterBuilt = false

// Main exits: there is no container init outside Linux.
func Main() { os.Exit(125) }
