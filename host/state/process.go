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
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 || f[0] == "Z" || f[0] == "X" {
		return 0
	}
	v, _ := strconv.ParseUint(f[19], 10, 64)
	return v
}
