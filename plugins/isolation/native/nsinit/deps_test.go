package nsinit_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestRrunNsinitStaysSmall: every container start execs rrun-nsinit, so
// it must not grow the dependencies that make rrun slow to start (gRPC,
// go-plugin, libseccomp, c/storage, the SDK).
func TestRrunNsinitStaysSmall(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go tool is needed to list rrun-nsinit's imports: %v", err)
	}
	out, err := exec.Command(goTool, "list", "-deps", "github.com/rrun-project/rrun/cmd/rrun-nsinit").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	allowed := []string{"golang.org/x/sys/unix", "github.com/opencontainers/runtime-spec/specs-go",
		"github.com/cyphar/filepath-securejoin", "github.com/rrun-project/rrun/plugins/isolation/native/nsinit",
		"github.com/rrun-project/rrun/cmd/rrun-nsinit"}
	for _, pkg := range strings.Fields(string(out)) {
		first, _, _ := strings.Cut(pkg, "/")
		if !strings.Contains(first, ".") {
			continue // the standard library
		}
		ok := false
		for _, a := range allowed {
			ok = ok || pkg == a || strings.HasPrefix(pkg, a+"/")
		}
		if !ok {
			t.Errorf("rrun-nsinit imports %s: keep it to %v", pkg, allowed)
		}
	}
}
