package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cp copies both ways, running or stopped, keeping modes (owners with -a,
// else the copies are the user's, as docker's);
// export writes the container's files as a tar.
func TestCLICpAndExport(t *testing.T) {
	e := withBusybox(t)
	id := e.detached("--name", "box", "busybox", "sh", "-c",
		"mkdir -p /data && echo hi > /data/f && chown 1000:1000 /data/f && chmod 640 /data/f && echo ready && sleep 60")
	e.waitLog(id, "ready")
	out := filepath.Join(e.home, "out")
	e.ok("cp", "box:/data/f", out)
	if data, err := os.ReadFile(out); err != nil || string(data) != "hi\n" {
		t.Fatalf("cp from a running container: %v %q", err, data)
	}
	if st, _ := os.Stat(out); st.Mode().Perm() != 0o640 {
		t.Errorf("cp must keep the mode: %v", st.Mode())
	}
	if got := strings.TrimSpace(e.ok("unshare", "stat", "-c", "%u:%g", out).stdout); got != "0:0" {
		t.Errorf("cp without -a: the copy must be the user's (root in rrun's user namespace): %q", got)
	}
	kept := filepath.Join(e.home, "kept")
	e.ok("cp", "-a", "box:/data/f", kept)
	if got := strings.TrimSpace(e.ok("unshare", "stat", "-c", "%u:%g %a", kept).stdout); got != "1000:1000 640" {
		t.Errorf("cp -a must keep the owner and mode (as seen in rrun's user namespace): %q", got)
	}
	in := filepath.Join(e.home, "in.txt")
	if err := os.WriteFile(in, []byte("from host\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e.ok("cp", in, "box:/data/")
	if got := e.ok("exec", "box", "sh", "-c", "cat /data/in.txt; stat -c '%a %u' /data/in.txt").stdout; got != "from host\n600 0\n" {
		t.Errorf("cp into a running container: %q", got)
	}
	e.ok("stop", "-t", "0", "box")
	e.ok("cp", "box:/data/.", filepath.Join(e.home, "dir"))
	if data, err := os.ReadFile(filepath.Join(e.home, "dir", "in.txt")); err != nil || string(data) != "from host\n" {
		t.Errorf("cp of a directory's contents from a stopped container: %v %q", err, data)
	}
	if r := e.run("", "cp", "box:/nosuch", out); r.code != 125 || !strings.Contains(r.stderr, "no such file") {
		t.Errorf("cp of a missing path: %s", r)
	}
	tarOut := e.ok("export", "box").stdout
	if !strings.Contains(tarOut, "./data/in.txt") || !strings.Contains(tarOut, "./bin/busybox") {
		t.Errorf("export must write the container's files as a tar (%d bytes)", len(tarOut))
	}
	e.ok("export", "-o", filepath.Join(e.home, "box.tar"), "box")
	if st, err := os.Stat(filepath.Join(e.home, "box.tar")); err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("export -o: %v", err)
	}
}
