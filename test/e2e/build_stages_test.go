package e2e

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBuildMultiStageTarget: --target builds only the stages it needs, and
// COPY --from takes files (with their owners) from an earlier stage.
func TestBuildMultiStageTarget(t *testing.T) {
	e := withBusybox(t)
	ctx := buildContext(t, e, map[string]string{"Dockerfile": `FROM busybox AS base
RUN echo base > /base && chown 7:8 /base
FROM busybox AS unused
RUN echo unused-stage-ran && exit 1
FROM scratch AS final
COPY --from=base /base /copied
COPY --from=0 /bin/busybox /bin/sh
COPY --from=busybox /etc/passwd /from-image/
FROM final AS last
RUN ["/bin/sh", "-c", "echo never"]
`})
	r := buildOK(t, e, "--target", "final", "-t", "multi", ctx)
	if strings.Contains(r.stderr, "unused-stage-ran") || strings.Contains(r.stderr, "echo never") {
		t.Errorf("--target final ran a stage it does not need:\n%s", r.stderr)
	}
	out := e.ok("run", "--rm", "multi", "/bin/sh", "-c", "cat /copied; stat -c %u:%g /copied; head -c 5 /from-image/passwd")
	if out.stdout != "base\n7:8\nroot:" {
		t.Errorf("COPY --from: %q", out.stdout)
	}
}

// TestBuildDockerignore: ignored files are not copied, and changing one
// does not invalidate the cache.
func TestBuildDockerignore(t *testing.T) {
	e := withBusybox(t)
	ctx := buildContext(t, e, map[string]string{
		"Dockerfile":    "FROM busybox\nCOPY . /src/\n",
		".dockerignore": "secret.txt\nlogs/\n!logs/keep.log\n",
		"app.txt":       "app",
		"secret.txt":    "s3cret",
		"logs/a.log":    "a",
		"logs/keep.log": "keep",
	})
	buildOK(t, e, "-t", "ign", ctx)
	out := e.ok("run", "--rm", "ign", "find", "/src", "-type", "f")
	got := strings.Fields(out.stdout)
	want := map[string]bool{"/src/app.txt": true, "/src/Dockerfile": true, "/src/.dockerignore": true, "/src/logs/keep.log": true}
	for _, f := range got {
		if !want[f] {
			t.Errorf("%s was copied despite .dockerignore (got %v)", f, got)
		}
	}
	if !strings.Contains(out.stdout, "/src/logs/keep.log") {
		t.Errorf("the ! exception was not copied: %v", got)
	}
	writeFile(t, filepath.Join(ctx, "secret.txt"), "changed")
	if r := buildOK(t, e, ctx); !strings.Contains(r.stderr, "CACHED") {
		t.Errorf("changing an ignored file must not invalidate COPY:\n%s", r.stderr)
	}
}

// TestBuildWhiteoutsAndFidelity: a file deleted by a later RUN is absent,
// in rrun and after save into a docker archive (its layer has the
// whiteout); setuid bits, owners and hardlinks survive.
func TestBuildWhiteoutsAndFidelity(t *testing.T) {
	e := withBusybox(t)
	ctx := buildContext(t, e, map[string]string{"Dockerfile": `FROM busybox
RUN mkdir -p /d && echo x > /d/gone && echo y > /keep && cp /bin/busybox /suid && chown 5:6 /suid && chmod 4755 /suid && ln /keep /hard
RUN rm /d/gone
`})
	buildOK(t, e, "-t", "wh", ctx)
	out := e.ok("run", "--rm", "wh", "sh", "-c", "ls /d; stat -c '%a %u:%g' /suid; stat -c %i /keep /hard | uniq | wc -l")
	if out.stdout != "4755 5:6\n1\n" {
		t.Errorf("after the build: %q, want no /d/gone, a 4755 5:6 setuid file and one inode for the hardlink", out.stdout)
	}
	archive := filepath.Join(e.home, "wh.tar")
	e.ok("save", "-o", archive, "wh")
	if !archiveHasWhiteout(t, archive, "d/.wh.gone") {
		t.Errorf("the saved image has no whiteout d/.wh.gone")
	}
}

// archiveHasWhiteout looks through the layers of a docker archive.
func archiveHasWhiteout(t *testing.T, archive, name string) bool {
	t.Helper()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for h, err := tr.Next(); err == nil; h, err = tr.Next() {
		if !strings.HasSuffix(h.Name, ".tar") && !strings.Contains(h.Name, "sha256") {
			continue
		}
		var buf bytes.Buffer
		if _, err := buf.ReadFrom(tr); err != nil {
			t.Fatal(err)
		}
		lr := tar.NewReader(&buf)
		for lh, err := lr.Next(); err == nil; lh, err = lr.Next() {
			if strings.TrimPrefix(lh.Name, "./") == name {
				return true
			}
		}
	}
	return false
}
