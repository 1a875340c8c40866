package e2e

import (
	"strings"
	"testing"
)

// TestInspectConfigEnvAndRestartCount: inspect's Config.Env is the user's
// variables then the image's (docker's merge), and RestartCount counts the
// monitor's restarts under --restart.
func TestInspectConfigEnvAndRestartCount(t *testing.T) {
	e := withBusybox(t)
	e.ok("run", "--name", "envs", "-e", "A=1", "-e", "PATH=/bin", "busybox", "true")
	if got := strings.TrimSpace(e.ok("inspect", "-f", "{{json .Config.Env}}", "envs").stdout); got != `["A=1","PATH=/bin","FOO=from-image"]` {
		t.Errorf("Config.Env with -e A=1 -e PATH=/bin = %s, want docker's [\"A=1\",\"PATH=/bin\",\"FOO=from-image\"] (the user's, the user's PATH winning, then the image's others)", got)
	}
	e.ok("run", "--name", "imgenv", "-e", "A=1", "busybox", "true")
	want := `["A=1","PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","FOO=from-image"]`
	if got := strings.TrimSpace(e.ok("inspect", "-f", "{{json .Config.Env}}", "imgenv").stdout); got != want {
		t.Errorf("Config.Env with -e A=1 = %s, want %s (the user's, then the image's PATH)", got, want)
	}
	id := e.detached("--restart", "on-failure:2", "busybox", "sh", "-c", "exit 3")
	e.monitorGone(id)
	if got := strings.TrimSpace(e.ok("inspect", "-f", "{{.RestartCount}}", id).stdout); got != "2" {
		t.Errorf("RestartCount after on-failure:2 ran out = %q, want 2", got)
	}
	if got := strings.TrimSpace(e.ok("inspect", "-f", "{{.RestartCount}}", "envs").stdout); got != "0" {
		t.Errorf("RestartCount of a container never restarted = %q, want 0", got)
	}
}
