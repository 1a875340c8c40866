//go:build linux && cgo

package native

// int rrun_nsenter_entered(void);
import "C"

// nsenterBuilt says whether the C half of Exec (nsenter_linux.c) is in the
// binary.
const nsenterBuilt = true

// nsentered reports whether this process was cloned into a container's
// namespaces by the constructor in nsenter_linux.c.
func nsentered() bool { return C.rrun_nsenter_entered() != 0 }
