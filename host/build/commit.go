package build

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/rrun-project/rrun/plugins/api"
)

// CommitOptions are `rrun commit`'s flags.
type CommitOptions struct {
	ContainerID string
	Image       string   // the image the container was made from
	Name        string   // the new image's name; "" for none
	Changes     []string // --change: Dockerfile instructions (CMD, ENV, ...)
	Message     string   // -m
	Author      string   // --author
	CreatedBy   string   // the container's command, for the history
}

// Commit makes an image of a container's changes on its image, as
// `docker commit` does, and returns the new image.
func Commit(ctx context.Context, s api.Storage, o CommitOptions) (api.Image, error) {
	c, err := committerOf(ctx, s)
	if err != nil {
		return api.Image{}, err
	}
	st, err := commitBase(ctx, s, o.Image)
	if err != nil {
		return api.Image{}, err
	}
	if err := applyChanges(st, o.Changes); err != nil {
		return api.Image{}, err
	}
	l, err := c.CommitRootfs(ctx, o.ContainerID, "")
	if err != nil {
		return api.Image{}, fmt.Errorf("failed to commit container %s: %w", o.ContainerID, err)
	}
	addCommitHistory(st, l, o)
	raw, err := json.Marshal(st.img)
	if err != nil {
		return api.Image{}, fmt.Errorf("failed to encode the image config: %w", err)
	}
	var names []string
	if o.Name != "" {
		names = []string{o.Name}
	}
	return c.CreateImage(ctx, api.NewImage{TopLayer: st.top, ConfigJSON: raw, Names: names})
}

// commitBase is the stage state of the container's image.
func commitBase(ctx context.Context, s api.Storage, image string) (*stage, error) {
	d, err := s.InspectImage(ctx, image)
	if err != nil {
		return nil, err
	}
	st := &stage{args: newVars(), top: d.TopLayer}
	if st.img, err = decodeConfig(d.ConfigJSON); err != nil {
		return nil, err
	}
	return st, nil
}

// addCommitHistory records the commit as docker does: the author, the
// message as the comment, the container's command as created_by.
func addCommitHistory(st *stage, l api.Layer, o CommitOptions) {
	now := time.Now().UTC()
	h := ocispec.History{Created: &now, CreatedBy: o.CreatedBy, Author: o.Author, Comment: o.Message, EmptyLayer: l.Empty}
	if !l.Empty {
		st.top = l.ID
		st.img.RootFS.DiffIDs = append(st.img.RootFS.DiffIDs, digestOf(l))
	}
	st.img.History = append(st.img.History, h)
	st.img.Created = &now
	if o.Author != "" {
		st.img.Author = o.Author
	}
}

// applyChange applies one --change instruction to the config.
func applyChange(st *stage, change string) error {
	cmd, err := parseTrigger(change)
	if err != nil {
		return api.Errorf(api.ErrInvalidArgument, "use e.g. --change 'CMD [\"sh\"]'", "invalid --change %q: %v", change, err)
	}
	switch cmd.(type) {
	case *instructions.RunCommand, *instructions.CopyCommand, *instructions.AddCommand, *instructions.ArgCommand:
		return api.Errorf(api.ErrInvalidArgument, "use CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, USER, VOLUME, WORKDIR or STOPSIGNAL",
			"--change %q: %s is not allowed", change, strings.ToUpper(cmd.Name()))
	case *instructions.WorkdirCommand:
		st.img.Config.WorkingDir = st.workdirOf(cmd.(*instructions.WorkdirCommand).Path)
		return nil
	}
	_, err = applyMetadata(st, cmd)
	return err
}
