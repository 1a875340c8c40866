package session

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// subIDRangeSize is what an image needs for the usual ids up to nobody (65534).
const subIDRangeSize = 65536

// FreeSubIDStart is the first id of a range to suggest: after every range
// given in /etc/subuid and /etc/subgid (ends are first ids past each file's
// ranges), and never below 100000. `rrun doctor` suggests the same.
func FreeSubIDStart(ends ...int) int {
	start := 100000
	for _, e := range ends {
		start = max(start, e)
	}
	return start
}

// subIDEnd is the first id after every range in a subuid/subgid file.
func subIDEnd(path string) int {
	data, _ := os.ReadFile(path)
	end := 0
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(strings.TrimSpace(line), ":")
		if len(f) != 3 {
			continue
		}
		start, err1 := strconv.Atoi(f[1])
		count, err2 := strconv.Atoi(f[2])
		if err1 == nil && err2 == nil && count > 0 {
			end = max(end, start+count)
		}
	}
	return end
}

// addSubIDsFix is the command that gives user a free range of 65536 ids.
func addSubIDsFix(user string) string {
	start := FreeSubIDStart(subIDEnd("/etc/subuid"), subIDEnd("/etc/subgid"))
	r := fmt.Sprintf("%d-%d", start, start+subIDRangeSize-1)
	return fmt.Sprintf("sudo usermod --add-subuids %s --add-subgids %s %s", r, r, user)
}
