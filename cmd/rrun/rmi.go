package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/plugins/api"
)

func newRmiCommand() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "rmi [-f] IMAGE...",
		Short: "Untag and remove images (refuses one a container uses, unless -f)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return inSession(needs{storage: true}, func(ctx context.Context, b *container.Backends) error {
				im, err := imagesOf(ctx, b.Storage, api.CapStorageRemove, "remove images")
				if err != nil {
					return err
				}
				var errs []error
				for _, ref := range args {
					res, err := im.RemoveImage(ctx, ref, force)
					if errors.Is(err, api.ErrNotFound) {
						// docker's words; the store's hint (load or pull it) makes no sense here
						err = api.Errorf(api.ErrNotFound, "see rrun images", "no such image: %s", ref)
					}
					if err != nil {
						errs = append(errs, err)
						continue
					}
					for _, n := range res.Untagged {
						fmt.Println("Untagged: " + n)
					}
					for _, id := range res.Deleted {
						fmt.Println("Deleted: sha256:" + id)
					}
				}
				return firstError(errs)
			})
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "untag an image even if containers use it (its layers go when they do)")
	return cmd
}

// firstError returns the one error of several that rrun reports (each
// failure is one line; more would break that promise), counting the rest.
func firstError(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return &api.Error{Kind: api.KindOf(errs[0]), Hint: api.HintOf(errs[0]),
		Msg: fmt.Sprintf("%v (and %d more failures)", errs[0], len(errs)-1)}
}
