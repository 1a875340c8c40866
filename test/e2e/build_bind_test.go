package e2e

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestBuildRunMountBind: RUN --mount=type=bind shows a context path
// (honouring .dockerignore, read only by default) or a stage's path, a
// file or a directory; rw writes are discarded; nothing of the mount is
// left in the image; a change of the bound files is a cache miss.
func TestBuildRunMountBind(t *testing.T) {
	e := withBusybox(t)
	ctx := buildContext(t, e, map[string]string{
		"src/a.txt": "ctx-a", "src/secret.txt": "hidden", "go.mod": "module x", ".dockerignore": "src/secret.txt\n",
		"Dockerfile": `FROM busybox AS tools
RUN mkdir -p /opt/t && echo from-stage > /opt/t/v
FROM busybox
WORKDIR /w
RUN --mount=type=bind,source=src,target=/mnt/src cat /mnt/src/a.txt > /ctx-seen && ls /mnt/src > /ls && (touch /mnt/src/new 2>/dev/null && echo writable || echo readonly) > /ro
RUN --mount=type=bind,from=tools,source=/opt/t,target=/t cat /t/v > /stage-seen
RUN --mount=type=bind,source=go.mod,target=go.mod,rw cat /w/go.mod > /file-seen && echo more >> /w/go.mod
`})
	buildOK(t, e, "--network", "none", "-t", "bound", ctx)
	out := e.ok("run", "--rm", "bound", "sh", "-c", "cat /ctx-seen; echo; cat /ls /ro /stage-seen /file-seen; echo; ls /mnt/src /w/go.mod 2>&1 | grep -c 'No such file'")
	want := "ctx-a\na.txt\nreadonly\nfrom-stage\nmodule x\n2\n"
	if out.stdout != want {
		t.Errorf("RUN --mount=type=bind: got %q, want %q", out.stdout, want)
	}
	writeFile(t, filepath.Join(ctx, "src", "a.txt"), "ctx-b")
	if r := buildOK(t, e, "--network", "none", ctx); strings.Count(r.stderr, "CACHED") != 2 {
		t.Errorf("a changed bound file must rerun its RUN and the later ones (only the tools RUN and WORKDIR cached):\n%s", r.stderr)
	}
}
