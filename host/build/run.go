package build

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/plugins/api"
)

// StepError is a RUN step whose command failed. `rrun build` exits 1, as
// docker does.
type StepError struct {
	Args []string
	Code int
}

func (e *StepError) Error() string {
	return fmt.Sprintf("process %q did not complete successfully: exit code: %d", strings.Join(e.Args, " "), e.Code)
}

// runStep runs a RUN instruction in a container and commits its changes.
func (bl *builder) runStep(ctx context.Context, s *stage, c *instructions.RunCommand, title string) error {
	st := bl.out.begin(title)
	args, err := runArgs(s, c)
	if err != nil {
		st.fail(err)
		return err
	}
	r := &runSpec{args: args, env: s.runArgsEnv(), network: bl.o.Network}
	if n := instructions.GetNetwork(c); n != "" && n != instructions.NetworkDefault {
		r.network = string(n)
	}
	if r.mounts, err = bl.runMounts(ctx, s, c); err != nil {
		st.fail(err)
		return err
	}
	defer func() { closeMounts(r.mounts) }()
	cleanup, err := bl.shebangHeredoc(c, r)
	if err != nil {
		st.fail(err)
		return err
	}
	defer cleanup()
	key := cacheKey("RUN", s.top, s.configKey(), jsonString(r.args), jsonString(r.env), r.network, r.mountsKey())
	l, err := bl.runCached(ctx, s, r, key, st)
	if err != nil {
		st.fail(err)
		return err
	}
	s.addLayer(r.createdBy(), l)
	return nil
}

// runCached reuses the step's cached layer or runs it.
func (bl *builder) runCached(ctx context.Context, s *stage, r *runSpec, key string, st *step) (api.Layer, error) {
	if l, ok, err := bl.cached(ctx, s, key); err != nil || ok {
		if ok {
			st.cached()
		}
		return l, err
	}
	l, err := bl.withRootfs(ctx, s, key, func(id string, mounts []api.Mount) error {
		return bl.runContainer(ctx, s, r, id, mounts, st)
	})
	if err == nil {
		st.done()
	}
	return l, err
}

// runSpec is one RUN step's command and environment.
type runSpec struct {
	args    []string
	env     []string // the build args the command sees (ENV wins over them)
	network string
	mounts  []runMount
}

// createdBy is BuildKit's history entry: the build args used, then the
// command.
func (r *runSpec) createdBy() string {
	prefix := ""
	if len(r.env) > 0 {
		prefix = fmt.Sprintf("|%d %s ", len(r.env), strings.Join(r.env, " "))
	}
	return "RUN " + prefix + strings.Join(r.args, " ") + " # buildkit"
}

// runArgs is the command of a RUN: exec form as given, shell form (and
// heredocs, as BuildKit runs them) through the stage's SHELL.
func runArgs(s *stage, c *instructions.RunCommand) ([]string, error) {
	args := append([]string{}, c.CmdLine...)
	if len(c.Files) > 0 {
		if len(args) != 1 || !c.PrependShell {
			return nil, api.Errorf(api.ErrInvalidArgument, "", "invalid heredoc in RUN: %v", args)
		}
		if h := parser.MustParseHeredoc(args[0]); h != nil {
			data := c.Files[0].Data
			if c.Files[0].Chomp {
				data = parser.ChompHeredocContent(data)
			}
			args = []string{data}
		} else {
			full := args[0]
			for _, f := range c.Files {
				full += "\n" + f.Data + f.Name
			}
			args = []string{full}
		}
	}
	if c.PrependShell {
		return append(append([]string{}, s.shell()...), strings.Join(args, " ")), nil
	}
	return args, nil
}

// runArgsEnv is the stage's ARGs that ENV does not override, sorted.
func (s *stage) runArgsEnv() []string {
	env := newVars().fromEnv(s.img.Config.Env)
	var out []string
	for _, k := range s.args.keys {
		if _, set := env.Get(k); !set {
			out = append(out, k+"="+s.args.vals[k])
		}
	}
	sort.Strings(out)
	return out
}

// runContainer runs r in container id on mounts and streams its output
// to st. A non-zero exit is a *StepError.
func (bl *builder) runContainer(ctx context.Context, s *stage, r *runSpec, id string, mounts []api.Mount, st *step) error {
	o := container.RunOptions{Cmd: r.args, Entrypoint: new(string), Env: r.env, Network: r.network,
		Volumes: r.volumes(), Tmpfs: r.tmpfs()}
	if err := o.Resolve(bl.o.ContextDir); err != nil {
		return err
	}
	spec, err := container.SpecFor(ocispec.Image{Config: s.img.Config.ImageConfig}, o, id, mounts, bl.env)
	if err != nil {
		return err
	}
	undo, err := prepareMountpoints(mounts, r.mounts)
	if err != nil {
		return err
	}
	defer undo()
	code, err := bl.startAndWait(ctx, id, mounts, spec, st)
	if err != nil {
		return err
	}
	if code != 0 {
		return &StepError{Args: r.args, Code: code}
	}
	return nil
}

// startAndWait creates and starts the container with its output going to
// st, and waits for it. The container is deleted before it returns.
func (bl *builder) startAndWait(ctx context.Context, id string, mounts []api.Mount, spec *specs.Spec, st *step) (int, error) {
	rd, wr, err := os.Pipe()
	if err != nil {
		return 0, fmt.Errorf("failed to create an output pipe: %w", err)
	}
	defer rd.Close()
	out := fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), wr.Fd())
	_, err = container.CreatePrepared(ctx, bl.b, id, mounts, spec, api.Stdio{Stdout: out, Stderr: out})
	wr.Close()
	if err != nil {
		return 0, fmt.Errorf("failed to create the build container: %w", err)
	}
	done := st.pump(rd)
	defer func() { _ = bl.b.Isolation.Delete(context.WithoutCancel(ctx), id) }()
	if err := container.Start(ctx, bl.b, id); err != nil {
		var ee *container.ExitError
		if errors.As(err, &ee) {
			st.line(ee.Err.Error())
			return ee.Code, nil
		}
		return 0, err
	}
	status, err := bl.b.Isolation.Wait(ctx, id, "")
	if err != nil {
		return 0, fmt.Errorf("failed to wait for the build container: %w", err)
	}
	_ = bl.b.Isolation.Delete(context.WithoutCancel(ctx), id) // its processes held the pipe's write end
	select {
	case <-done:
	case <-time.After(2 * time.Second): // a writer outside the container: stop reading
	}
	return status.Code, nil
}

func jsonString(v any) string {
	b, _ := json.Marshal(v) // strings and slices of them always encode
	return string(b)
}
