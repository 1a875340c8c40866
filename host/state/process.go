package state

import (
	"os"
	"strconv"
	"strings"
)

// ProcessStart is field 22 of /proc/PID/stat (the start time in clock
// ticks since boot, the same in every pid namespace's view), 0 when pid is
// gone or a zombie. With the pid it names one process for good: a pid, or
// a namespace's inode number, is reused; the pair is not.
func ProcessStart(pid int) uint64 {
	start, live := processStat(pid)
	if !live {
		return 0
	}
	return start
}

// ExitedProcessStart is ProcessStart that also answers for a zombie, whose
// stat still holds its start time: what names a container's init that
// exited before its monitor recorded it (the monitor, its parent, has not
// reaped it yet). 0 only when pid is gone.
func ExitedProcessStart(pid int) uint64 {
	start, _ := processStat(pid)
	return start
}

// processStat reads pid's start time and whether it still runs (neither a
// zombie nor dead).
func processStat(pid int) (start uint64, live bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return 0, false
	}
	start, _ = strconv.ParseUint(f[19], 10, 64)
	return start, f[0] != "Z" && f[0] != "X"
}
