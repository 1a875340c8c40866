package doctor

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestHealthyHostIsAllOK(t *testing.T) {
	rep := Run(newFake(t).Host)
	if !rep.OK || rep.Schema != 1 {
		t.Fatalf("want ok schema 1: %+v", rep)
	}
	for _, r := range rep.Checks {
		if r.Status != StatusOK || r.Fix != "" || r.Evidence == "" {
			t.Errorf("check %s: want ok with evidence and no fix, got %+v", r.ID, r)
		}
	}
}

func TestNoSubuidRangeWarnsWithUsermodFix(t *testing.T) {
	f := newFake(t)
	f.write(t, "/etc/subuid", "bob:100000:65536\n")
	f.write(t, "/etc/subgid", "bob:100000:65536\n")
	r, rep := f.result(t, "subids")
	expect(t, r, StatusWarn, "sudo usermod --add-subuids 165536-231071 --add-subgids 165536-231071 alice")
	if !strings.Contains(r.Evidence, "single-uid mapping will be used") || !rep.OK {
		t.Fatalf("want the single-uid fallback named and the report ok: %+v", rep)
	}
	helpers, _ := f.result(t, "idmap-helpers")
	if helpers.Status != StatusOK || !strings.Contains(helpers.Evidence, "not used") {
		t.Fatalf("newuidmap is not needed without a range: %+v", helpers)
	}
}

func TestSmallSubuidRangeWarns(t *testing.T) {
	f := newFake(t)
	f.write(t, "/etc/subgid", "alice:165536:1000\n")
	r, _ := f.result(t, "subids")
	expect(t, r, StatusWarn, "usermod")
}

func TestNewuidmapWithoutPrivilegeFails(t *testing.T) {
	f := newFake(t)
	f.files["/usr/bin/newuidmap"] = FileInfo{Mode: 0o755, UID: 0}
	r, rep := f.result(t, "idmap-helpers")
	expect(t, r, StatusFail, "sudo chmod u+s /usr/bin/newuidmap")
	expect(t, r, StatusFail, "sudo apt-get install --reinstall uidmap")
	if rep.OK {
		t.Fatal("a user with a range whose newuidmap cannot map it cannot run containers")
	}
}

func TestNewuidmapWithFileCapsIsOK(t *testing.T) {
	f := newFake(t)
	f.files["/usr/bin/newuidmap"] = FileInfo{Mode: 0o755, UID: 0}
	// vfs_cap_data revision 2 with cap_setuid (bit 7) permitted.
	f.FileCaps = func(string) ([]byte, error) { return []byte{0, 0, 0, 2, 0x80, 0, 0, 0, 0, 0, 0, 0}, nil }
	if r, _ := f.result(t, "idmap-helpers"); r.Status != StatusOK {
		t.Fatalf("want ok, got %+v", r)
	}
}

func TestNewuidmapNotOwnedByRootNamesReinstall(t *testing.T) {
	f := newFake(t)
	f.files["/usr/bin/newgidmap"] = FileInfo{Mode: 0o755 | os.ModeSetuid, UID: 1000}
	r, _ := f.result(t, "idmap-helpers")
	expect(t, r, StatusFail, "sudo apt-get install --reinstall uidmap")
}

func TestNewuidmapMappingRefusedFails(t *testing.T) {
	f := newFake(t)
	f.TryIDMap = func(string, string, []IDRange, []IDRange) error { return errors.New("write to uid_map failed") }
	r, _ := f.result(t, "idmap-helpers")
	expect(t, r, StatusFail, "uidmap")
}

func TestNewuidmapMissingWarns(t *testing.T) {
	f := newFake(t)
	delete(f.tools, "newgidmap")
	r, rep := f.result(t, "idmap-helpers")
	expect(t, r, StatusWarn, "sudo apt-get install uidmap")
	if !rep.OK {
		t.Fatal("without newgidmap rrun runs with a single-uid mapping")
	}
}

func TestNoFuseOverlayfsWarnsWithPackage(t *testing.T) {
	f := newFake(t)
	delete(f.tools, "fuse-overlayfs")
	r, rep := f.result(t, "fuse")
	expect(t, r, StatusWarn, "sudo apt-get install fuse-overlayfs")
	if !rep.OK {
		t.Fatal("fuse-overlayfs is a fallback only")
	}
}

func TestFuseDeviceClosedWarnsWithChmod(t *testing.T) {
	f := newFake(t)
	f.CanOpen = func(p string) error { return errEPERM }
	r, _ := f.result(t, "fuse")
	expect(t, r, StatusWarn, "sudo chmod 0666 /dev/fuse")
	r, _ = f.result(t, "network")
	expect(t, r, StatusWarn, "sudo chmod 0666 /dev/net/tun")
}

func TestReportJSONSchema(t *testing.T) {
	b, err := json.Marshal(Run(newFake(t).Host))
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Schema int
		OK     *bool
		Checks []map[string]any
	}
	if err := json.Unmarshal(b, &raw); err != nil || raw.Schema != 1 || raw.OK == nil || len(raw.Checks) != len(checks) {
		t.Fatalf("bad report %s: %v", b, err)
	}
	var keys []string
	for k := range raw.Checks[0] {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := []string{"evidence", "fix", "id", "status", "title"}; !reflect.DeepEqual(keys, want) {
		t.Fatalf("check keys %v, want %v", keys, want)
	}
}

func TestWriteTextShowsFixUnderProblem(t *testing.T) {
	f := newFake(t)
	f.TryUserNS = func() error { return errEPERM }
	var buf bytes.Buffer
	if err := WriteText(&buf, Run(f.Host)); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, "✗ unprivileged user namespaces") || !strings.Contains(out, "fix: ") ||
		!strings.Contains(out, "cannot run containers here") {
		t.Fatalf("unexpected text:\n%s", out)
	}
}
