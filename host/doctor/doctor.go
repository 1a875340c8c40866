package doctor

// SchemaVersion is the version of the JSON report. It changes only when a
// field is removed or changes meaning; new checks and fields keep it.
const SchemaVersion = 1

// Status is the outcome of one check.
type Status string

// Statuses. Only StatusFail makes a report not OK.
const (
	StatusOK   Status = "ok"
	StatusWarn Status = "warn"
	StatusFail Status = "fail"
	StatusSkip Status = "skip"
)

// Result is one check's outcome: what was read or tried, and the fix.
type Result struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	Status   Status `json:"status"`
	Evidence string `json:"evidence"`
	Fix      string `json:"fix"`
}

// Report is what `rrun doctor --json` prints.
type Report struct {
	Schema int      `json:"schema"`
	OK     bool     `json:"ok"`
	Checks []Result `json:"checks"`
}

// check is one named test of the host.
type check struct {
	id, title string
	run       func(h *Host) Result
}

// checks in the order they are shown.
var checks = []check{
	{"userns", "unprivileged user namespaces", checkUserNS},
	{"proc", "a new /proc (rrun in a container)", checkProc},
	{"idmap-helpers", "newuidmap/newgidmap", checkIDMapHelpers},
	{"subids", "subordinate uid/gid ranges", checkSubIDs},
	{"storage-fs", "storage filesystem", checkStorageFS},
	{"overlay", "overlay in a user namespace", checkOverlay},
	{"fuse", "/dev/fuse and fuse-overlayfs", checkFuse},
	{"network", "network helpers", checkNetwork},
	{"runtime-dir", "XDG_RUNTIME_DIR", checkRuntimeDir},
	{"cgroups", "cgroups and resource limits", checkCgroups},
	{"seccomp", "seccomp filters", checkSeccomp},
	{"disk-space", "free disk space", checkDiskSpace},
}

// Run runs every check. The report is OK when no check failed: rrun can
// run containers here, perhaps with a single-uid mapping or vfs storage.
func Run(h *Host) Report {
	rep := Report{Schema: SchemaVersion, OK: true}
	for _, c := range checks {
		r := c.run(h)
		r.ID, r.Title = c.id, c.title
		if r.Status == StatusOK {
			r.Fix = ""
		}
		if r.Status == StatusFail {
			rep.OK = false
		}
		rep.Checks = append(rep.Checks, r)
	}
	return rep
}

func ok(evidence string) Result { return Result{Status: StatusOK, Evidence: evidence} }

func warn(evidence, fix string) Result {
	return Result{Status: StatusWarn, Evidence: evidence, Fix: fix}
}

func fail(evidence, fix string) Result {
	return Result{Status: StatusFail, Evidence: evidence, Fix: fix}
}

func skip(evidence string) Result { return Result{Status: StatusSkip, Evidence: evidence} }
