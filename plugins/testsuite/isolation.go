package testsuite

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rrun-project/rrun/plugins/api"
)

// TestIsolation is the conformance suite every isolation backend must pass,
// in-process and over go-plugin RPC.
//
// open returns a configured instance of the backend on a RunDir (see
// IsolationOpener); it is called at least once per subtest, and subtests
// run in parallel. rootfs returns fresh mount descriptors of a busybox root
// filesystem for one container, such as IsolationRootfs. The caller
// provides the environment a backend expects (for the built-in ones: a
// user namespace, see RequireUserNS).
//
//	testsuite.TestIsolation(t, testsuite.InProcessIsolation(func() api.Isolation {
//		return native.New()
//	}), testsuite.IsolationRootfs)
func TestIsolation(t *testing.T, open IsolationOpener, rootfs func(t *testing.T) []api.Mount) {
	s := &isolationSuite{open: open, rootfs: rootfs}
	for _, tc := range s.cases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t)
		})
	}
}

type isolationSuite struct {
	open   IsolationOpener
	rootfs func(t *testing.T) []api.Mount
}

// newBackend opens an instance on a RunDir of its own.
func (s *isolationSuite) newBackend(t *testing.T) api.Isolation {
	t.Helper()
	b, _ := s.open(t, t.TempDir())
	return b
}

var isolationIDs atomic.Int64

// isoContainer is one container of a test; it is deleted when the test ends.
type isoContainer struct {
	t              *testing.T
	ctx            context.Context
	b              api.Isolation
	id             string
	stdout, stderr string
	deleted        bool // by the test itself
}

// isoCtx bounds every call, so that a broken backend fails instead of hangs.
func isoCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// create makes a container running spec with stdin from a file holding
// stdin, and stdout/stderr in two files.
func (s *isolationSuite) create(t *testing.T, b api.Isolation, spec *specs.Spec, stdin string) (*isoContainer, error) {
	t.Helper()
	dir := t.TempDir()
	c := &isoContainer{t: t, ctx: isoCtx(t), b: b, id: fmt.Sprintf("suite-%d", isolationIDs.Add(1)),
		stdout: filepath.Join(dir, "stdout"), stderr: filepath.Join(dir, "stderr")}
	in := filepath.Join(dir, "stdin")
	isoWriteFile(t, in, stdin)
	isoWriteFile(t, c.stdout, "")
	isoWriteFile(t, c.stderr, "")
	_, err := b.Create(c.ctx, api.CreateRequest{ID: c.id, SpecJSON: jsonOf(t, spec), Rootfs: s.rootfs(t),
		Stdio: api.Stdio{Stdin: in, Stdout: c.stdout, Stderr: c.stderr}})
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { // c.b: a test may hand the container to another instance
		if c.deleted {
			return
		}
		if err := c.b.Delete(context.Background(), c.id); err != nil {
			t.Errorf("Delete(%s): %v", c.id, err)
		}
	})
	return c, nil
}

func (s *isolationSuite) mustCreate(t *testing.T, b api.Isolation, spec *specs.Spec) *isoContainer {
	t.Helper()
	c, err := s.create(t, b, spec, "")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return c
}

// run creates, starts and waits for a container on a new backend, and
// returns its status and output.
func (s *isolationSuite) run(t *testing.T, spec *specs.Spec, stdin string) (api.ExitStatus, string, string) {
	t.Helper()
	c, err := s.create(t, s.newBackend(t), spec, stdin)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if err := c.b.Start(c.ctx, c.id); err != nil {
		t.Fatalf("Start: %v", err)
	}
	st := c.wait()
	out, errOut := c.output()
	return st, out, errOut
}

// runOK is run for a command that must exit 0; it returns stdout.
func (s *isolationSuite) runOK(t *testing.T, spec *specs.Spec) string {
	t.Helper()
	st, out, errOut := s.run(t, spec, "")
	if st.Code != 0 {
		t.Fatalf("%q exited %d (signal %d); stdout %q, stderr %q", spec.Process.Args, st.Code, st.Signal, out, errOut)
	}
	return out
}

func (c *isoContainer) wait() api.ExitStatus {
	c.t.Helper()
	st, err := c.b.Wait(c.ctx, c.id, "")
	if err != nil {
		c.t.Fatalf("Wait(%s): %v", c.id, err)
	}
	return st
}

func (c *isoContainer) output() (string, string) {
	c.t.Helper()
	out, err := os.ReadFile(c.stdout)
	if err != nil {
		c.t.Fatal(err)
	}
	errOut, err := os.ReadFile(c.stderr)
	if err != nil {
		c.t.Fatal(err)
	}
	return string(out), string(errOut)
}

func (c *isoContainer) state() api.ContainerState {
	c.t.Helper()
	st, err := c.b.State(c.ctx, c.id)
	if err != nil {
		c.t.Fatalf("State(%s): %v", c.id, err)
	}
	return st
}

func lines(s string) []string {
	return strings.Split(strings.TrimRight(s, "\n"), "\n")
}

func jsonOf(t *testing.T, spec any) []byte {
	t.Helper()
	data, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func readPair(t *testing.T, a, b string) (string, string) {
	t.Helper()
	x, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	y, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(x), string(y)
}
