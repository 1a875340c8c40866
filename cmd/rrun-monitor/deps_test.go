package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestRrunMonitorStaysSmall: every detached container keeps one
// rrun-monitor resident, so it must not grow the dependencies that make
// rrun big (gRPC, go-plugin, c/storage, the SDK, host/...).
func TestRrunMonitorStaysSmall(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go tool is needed to list rrun-monitor's imports: %v", err)
	}
	out, err := exec.Command(goTool, "list", "-deps", "github.com/rrun-project/rrun/cmd/rrun-monitor").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	allowed := []string{"github.com/rrun-project/rrun/host/monitor/handoff",
		"github.com/rrun-project/rrun/host/monitor/logline", "github.com/rrun-project/rrun/cmd/rrun-monitor"}
	for _, pkg := range strings.Fields(string(out)) {
		first, _, _ := strings.Cut(pkg, "/")
		if !strings.Contains(first, ".") {
			switch pkg {
			case "net", "os/exec", "encoding/json", "fmt", "reflect", "encoding/binary":
				t.Errorf("rrun-monitor imports %s: raw syscalls and wire.go keep it small (each package is paid per container)", pkg)
			}
			continue // the standard library
		}
		ok := false
		for _, a := range allowed {
			ok = ok || pkg == a
		}
		if !ok {
			t.Errorf("rrun-monitor imports %s: keep it to %v", pkg, allowed)
		}
	}
}
