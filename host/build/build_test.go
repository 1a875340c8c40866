package build

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
)

func parseString(t *testing.T, src string) (*dockerfile, error) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "Dockerfile")
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return parseDockerfile(p)
}

func TestParseErrorsNameFileAndLine(t *testing.T) {
	_, err := parseString(t, "FROM busybox\nRUN true\nFROBNICATE x\n")
	if err == nil || !strings.Contains(err.Error(), "Dockerfile:3: ") || !strings.Contains(strings.ToLower(err.Error()), "unknown instruction") {
		t.Fatalf("error %v, want the file, line 3 and the reason", err)
	}
}

func TestPlanBuildsOnlyNeededStages(t *testing.T) {
	d, err := parseString(t, "FROM busybox AS a\nFROM busybox AS b\nFROM a AS c\nCOPY --from=b /x /x\nFROM busybox AS d\n")
	if err != nil {
		t.Fatal(err)
	}
	bl := &builder{d: d, o: Options{Target: "c"}, global: newVars()}
	order, err := bl.plan()
	if err != nil || len(order) != 3 || order[0] != 0 || order[1] != 1 || order[2] != 2 {
		t.Fatalf("plan for c = %v, %v; want stages 0 1 2", order, err)
	}
}

func TestMetadataHistoryLikeBuildKit(t *testing.T) {
	d, err := parseString(t, "FROM scratch\nENV A=1 B=2\nCMD [\"sh\", \"-c\", \"x\"]\nEXPOSE 80\nENTRYPOINT echo hi\n")
	if err != nil {
		t.Fatal(err)
	}
	s := &stage{img: newScratch(), args: newVars()}
	var got []string
	for _, cmd := range d.stages[0].Commands {
		by, err := applyMetadata(s, cmd)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, by)
	}
	want := []string{"ENV A=1 B=2", `CMD ["sh" "-c" "x"]`, "EXPOSE map[80/tcp:{}]", `ENTRYPOINT ["/bin/sh" "-c" "echo hi"]`}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("history %q, want %q", got, want)
	}
	if s.img.Config.Cmd == nil {
		t.Errorf("ENTRYPOINT after CMD in the same stage must keep CMD")
	}
}

func TestRunArgsHeredocAndArgsEnv(t *testing.T) {
	d, err := parseString(t, "FROM scratch\nARG V=1\nENV E=2\nRUN <<EOF\necho hi\nEOF\n")
	if err != nil {
		t.Fatal(err)
	}
	s := &stage{img: newScratch(), args: newVars()}
	s.args.set("V", "1")
	s.args.set("E", "shadowed")
	s.setEnv("E", "2")
	run := d.stages[0].Commands[2].(*instructions.RunCommand)
	args, err := runArgs(s, run)
	if err != nil || len(args) != 3 || args[2] != "echo hi\n" {
		t.Errorf("heredoc RUN args = %q, %v", args, err)
	}
	if env := s.runArgsEnv(); len(env) != 1 || env[0] != "V=1" {
		t.Errorf("RUN sees build args %v, want V=1 only (ENV wins)", env)
	}
}

func TestCacheKeyChangesWithEveryPart(t *testing.T) {
	base := cacheKey("RUN", "layer", "cfg", "cmd")
	for _, other := range []string{cacheKey("RUN", "layer2", "cfg", "cmd"), cacheKey("RUN", "layer", "cfg2", "cmd"),
		cacheKey("RUN", "layer", "cfg", "cmd2"), cacheKey("RUN", "layercfg", "", "cmd")} {
		if other == base {
			t.Errorf("two different inputs share cache key %s", base)
		}
	}
}
