package build

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/plugins/api"
)

// buildStage runs stage i: FROM, the base image's ONBUILD triggers, then
// each instruction.
func (bl *builder) buildStage(ctx context.Context, i int) error {
	st := bl.d.stages[i]
	s, err := bl.from(ctx, i)
	if err != nil {
		return err
	}
	if err := bl.onBuild(ctx, s); err != nil {
		return err
	}
	for j, cmd := range st.Commands {
		if err := bl.dispatch(ctx, s, cmd, bl.stageTitle(s, j+2)+" "+cmdText(cmd)); err != nil {
			return err
		}
	}
	bl.built[i] = s
	return nil
}

// from starts stage i from scratch, an earlier stage or an image.
func (bl *builder) from(ctx context.Context, i int) (*stage, error) {
	st := bl.d.stages[i]
	base, _, err := bl.d.lexer().ProcessWord(st.BaseName, bl.global)
	if err != nil {
		return nil, parseError(bl.d.path, parser.WithLocation(err, st.Location))
	}
	s := &stage{index: i, name: stageName(st, i), args: newVars()}
	step := bl.out.begin(bl.stageTitle(s, 1) + " FROM " + base)
	switch j, isStage := bl.d.stageIndex(base); {
	case base == "scratch":
		s.img = newScratch()
	case isStage && j < i:
		prev := bl.built[j].clone()
		prev.index, prev.name, prev.args = i, s.name, newVars()
		s = prev
	default:
		if err := bl.fromImage(ctx, s, base, step); err != nil {
			step.fail(err)
			return nil, err
		}
	}
	s.ensurePath()
	step.done()
	return s, nil
}

// fromImage starts s from image ref, pulled as --pull says.
func (bl *builder) fromImage(ctx context.Context, s *stage, ref string, step *step) error {
	info, err := container.InspectOrPull(ctx, bl.b.Storage, ref, bl.o.Pull, step.line)
	if err != nil {
		return err
	}
	if s.img, err = decodeConfig(info.ConfigJSON); err != nil {
		return err
	}
	if len(s.img.RootFS.DiffIDs) > 0 && info.TopLayer == "" {
		return api.Errorf(api.ErrNotImplemented, "upgrade the storage plugin",
			"storage plugin does not report the top layer of image %s", ref)
	}
	s.top = info.TopLayer
	if s.img.Created != nil {
		s.created = s.img.Created.UTC()
	}
	return nil
}

// onBuild runs the ONBUILD triggers of s's base image, then drops them
// from the config, as docker does.
func (bl *builder) onBuild(ctx context.Context, s *stage) error {
	triggers := s.img.Config.OnBuild
	s.img.Config.OnBuild = nil
	for _, expr := range triggers {
		cmd, err := parseTrigger(expr)
		if err != nil {
			return api.Errorf(api.ErrInvalidArgument, "", "ONBUILD trigger %q of the base image: %v", expr, err)
		}
		if err := bl.dispatch(ctx, s, cmd, bl.stageTitle(s, 1)+" ONBUILD "+cmdText(cmd)); err != nil {
			return err
		}
	}
	return nil
}

func parseTrigger(expr string) (instructions.Command, error) {
	res, err := parser.Parse(bytesReader(expr + "\n"))
	if err != nil {
		return nil, err
	}
	if len(res.AST.Children) != 1 {
		return nil, fmt.Errorf("not one instruction")
	}
	return instructions.ParseCommand(res.AST.Children[0])
}

// export makes the image of the final stage, names it and reports it.
func (bl *builder) export(ctx context.Context, s *stage) (string, error) {
	step := bl.out.begin("exporting to image")
	for k, v := range bl.o.Labels {
		if s.img.Config.Labels == nil {
			s.img.Config.Labels = map[string]string{}
		}
		s.img.Config.Labels[k] = v
	}
	created := s.createdTime()
	s.img.Created = &created
	raw, err := json.Marshal(s.img)
	if err != nil {
		return "", fmt.Errorf("failed to encode the image config: %w", err)
	}
	img, err := bl.c.CreateImage(ctx, api.NewImage{TopLayer: s.top, ConfigJSON: raw, Names: bl.o.Tags})
	if err != nil {
		step.fail(err)
		return "", err
	}
	step.sub("writing image sha256:" + img.ID)
	for _, n := range img.Names {
		step.sub("naming to " + n)
	}
	step.done()
	bl.warnUnusedArgs()
	if bl.o.IIDFile != "" {
		if err := os.WriteFile(bl.o.IIDFile, []byte("sha256:"+img.ID), 0o644); err != nil {
			return "", fmt.Errorf("failed to write the image id to %s: %w", bl.o.IIDFile, err)
		}
	}
	return img.ID, nil
}

// cmdText is the instruction as written in the Dockerfile.
func cmdText(cmd instructions.Command) string {
	if s, ok := cmd.(fmt.Stringer); ok {
		return s.String()
	}
	return cmd.Name()
}
