//go:build linux && cgo

package join

/*
extern int rrun_join_state;
extern int rrun_join_pid;
extern unsigned int rrun_join_uid, rrun_join_gid;
extern long long rrun_join_start_ns, rrun_join_done_ns;
extern char rrun_join_mapping[16];
extern char rrun_join_rundir[4096];
extern char rrun_join_reason[128];
extern char rrun_join_inherit[9];
extern int rrun_prefork_ctl;
*/
import "C"

import "time"

// Joined reports whether the constructor moved this process into the
// holder's user and mount namespaces.
func Joined() bool { return C.rrun_join_state == 1 }

// Wanted reports whether this command is on the warm path but found no
// usable holder (none, dead, or started from another binary).
func Wanted() bool { return C.rrun_join_state == 2 }

// HolderPID is the pid of the joined holder.
func HolderPID() int { return int(C.rrun_join_pid) }

// HostIDs are the user's uid and gid outside the user namespace, as they
// were before the join.
func HostIDs() (uid, gid int) { return int(C.rrun_join_uid), int(C.rrun_join_gid) }

// Mapping is the joined holder's id mapping kind ("subuid" or "single").
func Mapping() string { return C.GoString(&C.rrun_join_mapping[0]) }

// RunDir is rrun's volatile dir as the constructor found it.
func RunDir() string { return C.GoString(&C.rrun_join_rundir[0]) }

// Reason says why no holder was joined, when Wanted.
func Reason() string { return C.GoString(&C.rrun_join_reason[0]) }

// Times are when the constructor started looking for a holder and when it
// had joined one.
func Times() (start, done time.Time) {
	return time.Unix(0, int64(C.rrun_join_start_ns)), time.Unix(0, int64(C.rrun_join_done_ns))
}

// InheritTag names the resource limits (soft and hard, every kind), the
// nice value and the CPU affinity this process was started with, before
// the Go runtime raised its soft RLIMIT_NOFILE: what it starts inherits
// them.
func InheritTag() string { return C.GoString(&C.rrun_join_inherit[0]) }

// PreforkCtl is a pool process's link to the holder that started it
// (`rrun __prefork`, see cmd/rrun/prefork.go), or -1.
func PreforkCtl() int { return int(C.rrun_prefork_ctl) }
