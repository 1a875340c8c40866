package doctor

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/rrun-project/rrun/host/session"
)

// IDRange is one line of /etc/subuid or /etc/subgid.
type IDRange struct {
	Start, Count int
}

// minRangeSize is what an image needs for the usual ids up to nobody (65534).
const minRangeSize = 65536

// subIDs are the invoking user's ranges from file, and the first id after
// every range in the file (to suggest a free one).
func (h *Host) subIDs(file string) (mine []IDRange, end int, readable bool) {
	text, readable := h.readFile(file)
	for _, line := range strings.Split(text, "\n") {
		f := strings.Split(strings.TrimSpace(line), ":")
		if len(f) != 3 {
			continue
		}
		start, err1 := strconv.Atoi(f[1])
		count, err2 := strconv.Atoi(f[2])
		if err1 != nil || err2 != nil || count <= 0 {
			continue
		}
		end = max(end, start+count)
		if f[0] == h.User || f[0] == strconv.Itoa(h.UID) {
			mine = append(mine, IDRange{start, count})
		}
	}
	return mine, end, readable
}

func total(rs []IDRange) int {
	n := 0
	for _, r := range rs {
		n += r.Count
	}
	return n
}

func describe(rs []IDRange) string {
	var s []string
	for _, r := range rs {
		s = append(s, fmt.Sprintf("%d-%d", r.Start, r.Start+r.Count-1))
	}
	return strings.Join(s, ",")
}

// checkSubIDs reads /etc/subuid and /etc/subgid. No range is a warning:
// rrun then runs with a single-uid mapping.
func checkSubIDs(h *Host) Result {
	uids, uend, _ := h.subIDs("/etc/subuid")
	gids, gend, _ := h.subIDs("/etc/subgid")
	start := session.FreeSubIDStart(uend, gend)
	fix := fmt.Sprintf("sudo usermod --add-subuids %d-%d --add-subgids %d-%d %s",
		start, start+minRangeSize-1, start, start+minRangeSize-1, h.User)
	evidence := fmt.Sprintf("/etc/subuid: %s; /etc/subgid: %s", orNone(describe(uids)), orNone(describe(gids)))
	switch {
	case len(uids) == 0 || len(gids) == 0:
		return warn(fmt.Sprintf("no subordinate uid/gid range for user %s (%s): single-uid mapping will be used, "+
			"files of other owners in images belong to root in the container", h.User, evidence), fix)
	case total(uids) < minRangeSize || total(gids) < minRangeSize:
		return warn(fmt.Sprintf("%s: fewer than %d ids, images with higher uids or gids (nobody is 65534) fail to load",
			evidence, minRangeSize), fix)
	}
	return ok(fmt.Sprintf("%s (%d uids, %d gids)", evidence, total(uids), total(gids)))
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
