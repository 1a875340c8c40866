// Package proc reads what rrun names a process by: its pid and its start
// time (field 22 of /proc/PID/stat, clock ticks since boot, the same in
// every pid namespace's view). A pid, or a namespace's inode number, is
// reused; the pair of pid and start time is not.
package proc

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// pfExiting is the kernel's PF_EXITING in field 9 (flags) of /proc/PID/stat.
const pfExiting = 0x4

// Stat is what /proc/PID/stat says of a process.
type Stat struct {
	State byte   // field 3: R, S, D, Z, X, ...
	PPid  int    // field 4
	Flags uint64 // field 9
	Start uint64 // field 22
}

// Read reads pid's stat; false when pid is gone.
func Read(pid int) (Stat, bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return Stat{}, false
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')') // the comm may hold spaces and parentheses
	if i < 0 {
		return Stat{}, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 || len(f[0]) != 1 {
		return Stat{}, false
	}
	st := Stat{State: f[0][0]}
	st.PPid, _ = strconv.Atoi(f[1])
	st.Flags, _ = strconv.ParseUint(f[6], 10, 64)
	st.Start, _ = strconv.ParseUint(f[19], 10, 64) // field 22 is the 20th after the comm
	return st, true
}

// Live reports whether the process still runs: neither a zombie nor dead.
func (s Stat) Live() bool { return s.State != 'Z' && s.State != 'X' }

// Exiting reports whether the process is on its way out (killed, and
// still tearing its namespaces down).
func (s Stat) Exiting() bool { return s.Flags&pfExiting != 0 }

// Start is pid's start time, 0 when pid is gone or a zombie.
func Start(pid int) uint64 {
	if s, ok := Read(pid); ok && s.Live() {
		return s.Start
	}
	return 0
}

// PidNS is the inode of pid's pid namespace (the same seen from any
// namespace), 0 when pid is gone.
func PidNS(pid int) uint64 {
	link, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/ns/pid")
	if err != nil {
		return 0
	}
	var ino uint64
	if _, err := fmt.Sscanf(link, "pid:[%d]", &ino); err != nil {
		return 0
	}
	return ino
}
