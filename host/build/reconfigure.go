package build

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/rrun-project/rrun/plugins/api"
)

// CheckChanges parses --change instructions without an image, so that a
// verb refuses a bad one before it does any work.
func CheckChanges(changes []string) error {
	return applyChanges(&stage{img: newScratch(), args: newVars()}, changes)
}

// applyChanges applies --change instructions in order (commit, import).
func applyChanges(st *stage, changes []string) error {
	for _, ch := range changes {
		if err := applyChange(st, ch); err != nil {
			return err
		}
	}
	return nil
}

// Reconfigure makes an image of image's layers with its config changed
// by --change instructions and, when message is not "", the last history
// entry's comment set to it (`rrun import --change/--message`, as docker
// import). The result is named name ("" for none).
func Reconfigure(ctx context.Context, s api.Storage, image string, changes []string, message, name string) (api.Image, error) {
	c, err := committerOf(ctx, s)
	if err != nil {
		return api.Image{}, err
	}
	st, err := commitBase(ctx, s, image)
	if err != nil {
		return api.Image{}, err
	}
	if err := applyChanges(st, changes); err != nil {
		return api.Image{}, err
	}
	if h := st.img.History; message != "" && len(h) > 0 {
		h[len(h)-1].Comment = message
	}
	raw, err := json.Marshal(st.img)
	if err != nil {
		return api.Image{}, fmt.Errorf("failed to encode the image config: %w", err)
	}
	var names []string
	if name != "" {
		names = []string{name}
	}
	return c.CreateImage(ctx, api.NewImage{TopLayer: st.top, ConfigJSON: raw, Names: names})
}
