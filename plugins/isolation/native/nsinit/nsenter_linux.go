//go:build linux && cgo

package nsinit

// int rrun_nsenter_entered(void);
// int rrun_spare_stdio_taken(void);
import "C"

// NsenterBuilt says whether the C half of Exec (nsenter_linux.c), and
// the C init (cinit_linux.c), are in the binary.
const NsenterBuilt = true

// nsentered reports whether this process was cloned into a container's
// namespaces by the constructor in nsenter_linux.c.
func nsentered() bool { return C.rrun_nsenter_entered() != 0 }

// spareStdioTaken reports whether the C init, in a spare, took the
// container's stdio before it left the set-up to Go.
func spareStdioTaken() bool { return C.rrun_spare_stdio_taken() != 0 }
