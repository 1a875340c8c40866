package native_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/rrun-project/rrun/plugins/api"
	"github.com/rrun-project/rrun/plugins/isolation/native"
	"github.com/rrun-project/rrun/plugins/testsuite"
)

// maskScript checks docker's masked and read-only paths.
const maskScript = `test "$(wc -c < /proc/keys)" = 0 || echo keys readable
grep -q " /proc/keys " /proc/self/mountinfo || echo keys not masked
test -z "$(ls /proc/acpi 2>/dev/null)" || echo acpi visible
grep -q ' /proc/sys ro,' /proc/self/mountinfo || echo /proc/sys writable
echo done`

func TestMaskedAndReadonlyPaths(t *testing.T) {
	testsuite.RequireUserNS(t)
	b := native.New()
	testsuite.ConfigureIsolation(t, b)
	ctx := context.Background()
	out := filepath.Join(t.TempDir(), "out")
	spec, err := json.Marshal(testsuite.IsolationSpec("sh", "-c", maskScript))
	if err != nil {
		t.Fatal(err)
	}
	req := api.CreateRequest{ID: "masked", SpecJSON: spec, Rootfs: testsuite.IsolationRootfs(t),
		Stdio: api.Stdio{Stdout: out, Stderr: out}}
	if _, err := b.Create(ctx, req); err != nil {
		t.Fatal(err)
	}
	defer b.Delete(ctx, "masked")
	if err := b.Start(ctx, "masked"); err != nil {
		t.Fatal(err)
	}
	if st, err := b.Wait(ctx, "masked", ""); err != nil || st.Code != 0 {
		t.Fatalf("Wait = %+v, %v", st, err)
	}
	if got, _ := os.ReadFile(out); string(got) != "done\n" {
		t.Errorf("masked and read-only paths: %q", got)
	}
}
