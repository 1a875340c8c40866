//go:build linux

package native

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rrun-project/rrun/plugins/api"
)

// TestFindNsinit: without RRUN_NSINIT the backend takes rrun-nsinit from
// the first directory that has one, and without any it fails with one line
// that names the places and the fix.
func TestFindNsinit(t *testing.T) {
	t.Setenv(NsinitEnv, "")
	empty, installed := t.TempDir(), t.TempDir()
	defer func(saved []string) { nsinitDirs = saved }(nsinitDirs)
	nsinitDirs = []string{empty}
	_, err := findNsinit()
	var ae *api.Error
	if !errors.Is(err, api.ErrFailedPrecondition) || !errors.As(err, &ae) ||
		!strings.Contains(ae.Msg, empty) || !strings.Contains(ae.Hint, "make build") || strings.Contains(ae.Msg, "\n") {
		t.Fatalf("findNsinit without rrun-nsinit = %v (%+v), want one line naming %s with a hint naming make build", err, ae, empty)
	}
	want := filepath.Join(installed, nsinitName)
	if err := os.WriteFile(want, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	nsinitDirs = []string{empty, installed}
	if got, err := findNsinit(); got != want || err != nil {
		t.Errorf("findNsinit = %q, %v; want %q", got, err, want)
	}
	t.Setenv(NsinitEnv, "/elsewhere/nsinit")
	if got, err := findNsinit(); got != "/elsewhere/nsinit" || err != nil {
		t.Errorf("findNsinit with %s set = %q, %v", NsinitEnv, got, err)
	}
}
