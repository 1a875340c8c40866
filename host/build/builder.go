package build

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/patternmatcher"

	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/plugins/api"
)

// builder is one build's state.
type builder struct {
	o      Options
	b      *container.Backends
	c      api.Committer
	env    container.SpecEnv
	d      *dockerfile
	args   *argScope
	global *vars
	out    *progress
	ignore *patternmatcher.PatternMatcher
	built  map[int]*stage // finished stages, by index
}

// Build runs the build o describes and returns the image's ID. Nothing of
// a failed build stays but cached layers: no image, no build container.
func Build(ctx context.Context, b *container.Backends, env container.SpecEnv, o Options) (string, error) {
	c, err := committerOf(ctx, b.Storage)
	if err != nil {
		return "", err
	}
	env.BackendResources = b.AppliesResources()
	bl := &builder{o: o, b: b, c: c, env: env, built: map[int]*stage{},
		args: &argScope{given: o.BuildArgs, used: map[string]bool{}},
		out:  newProgress(o.Out, o.Quiet, o.LiveView)}
	defer bl.out.close()
	if bl.d, err = parseDockerfile(o.Dockerfile); err != nil {
		return "", err
	}
	if bl.ignore, err = readIgnore(o.ContextDir); err != nil {
		return "", err
	}
	if bl.global, err = metaScope(bl.d, bl.args); err != nil {
		return "", parseError(o.Dockerfile, err)
	}
	order, err := bl.plan()
	if err != nil {
		return "", err
	}
	for _, i := range order {
		if err := bl.buildStage(ctx, i); err != nil {
			return "", err
		}
	}
	return bl.export(ctx, bl.built[order[len(order)-1]])
}

// committerOf checks that the storage plugin can commit layers.
func committerOf(ctx context.Context, s api.Storage) (api.Committer, error) {
	info, err := s.Info(ctx)
	if err != nil {
		return nil, err
	}
	c, ok := s.(api.Committer)
	if !ok || !slices.Contains(info.Capabilities, api.CapStorageCommit) {
		return nil, api.Errorf(api.ErrNotImplemented, "use --storage overlay, fuse-overlayfs or vfs",
			"storage plugin %s cannot build images: it lacks the capability %s", info.Name, api.CapStorageCommit)
	}
	return c, nil
}

// plan returns the indexes of the stages the target needs, in file order,
// after checking every instruction of them.
func (bl *builder) plan() ([]int, error) {
	target := len(bl.d.stages) - 1
	if bl.o.Target != "" {
		i, ok := bl.d.stageIndex(bl.o.Target)
		if !ok {
			return nil, api.Errorf(api.ErrInvalidArgument, "", "target stage %q could not be found", bl.o.Target)
		}
		target = i
	}
	need := map[int]bool{}
	if err := bl.need(target, need); err != nil {
		return nil, err
	}
	var order []int
	for i := range bl.d.stages {
		if need[i] {
			order = append(order, i)
		}
	}
	return order, nil
}

// need marks stage i and the stages it copies from or starts from.
func (bl *builder) need(i int, need map[int]bool) error {
	if need[i] {
		return nil
	}
	need[i] = true
	for _, ref := range bl.deps(i) {
		if j, ok := bl.d.stageIndex(ref); ok && j < i {
			if err := bl.need(j, need); err != nil {
				return err
			}
		} else if ok {
			return api.Errorf(api.ErrInvalidArgument, "", "%s: stage %q uses stage %q, which comes after it",
				bl.d.path, bl.d.stages[i].Name, ref)
		}
	}
	return checkCommands(bl.d.path, bl.d.stages[i], bl.o.Network)
}

// deps are the stage references of stage i: its base and COPY --from.
func (bl *builder) deps(i int) []string {
	s := bl.d.stages[i]
	base, _, err := bl.d.lexer().ProcessWord(s.BaseName, bl.global)
	if err != nil {
		base = s.BaseName
	}
	refs := []string{base}
	for _, cmd := range s.Commands {
		if c, ok := cmd.(*instructions.CopyCommand); ok && c.From != "" {
			refs = append(refs, c.From)
		}
		if c, ok := cmd.(*instructions.RunCommand); ok {
			for _, m := range instructions.GetMounts(c) {
				if m.From != "" {
					refs = append(refs, m.From)
				}
			}
		}
	}
	return refs
}

// stageTitle is the "[name i/n]" BuildKit puts before a step.
func (bl *builder) stageTitle(s *stage, i int) string {
	n := len(bl.d.stages[s.index].Commands) + 1
	if len(bl.d.stages) == 1 {
		return fmt.Sprintf("[%d/%d]", i, n)
	}
	return fmt.Sprintf("[%s %d/%d]", s.name, i, n)
}

// stageName is the name BuildKit shows for stage i.
func stageName(st instructions.Stage, i int) string {
	if st.Name != "" {
		return st.Name
	}
	return fmt.Sprintf("stage-%d", i)
}

// warnUnusedArgs says which --build-args no ARG consumed, as docker does.
func (bl *builder) warnUnusedArgs() {
	if u := bl.args.unused(); len(u) > 0 && !bl.o.Quiet {
		bl.out.warn(fmt.Sprintf("rrun: warning: one or more build-args [%s] were not consumed", strings.Join(u, " ")))
	}
}
