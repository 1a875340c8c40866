//go:build linux && cgo

package nsinit

// int rrun_nsenter_entered(void);
import "C"

// NsenterBuilt says whether the C half of Exec (nsenter_linux.c) is in the
// binary.
const NsenterBuilt = true

// nsentered reports whether this process was cloned into a container's
// namespaces by the constructor in nsenter_linux.c.
func nsentered() bool { return C.rrun_nsenter_entered() != 0 }
