package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/plugins/api"
)

// transferFlags are the registry flags of pull and push.
type transferFlags struct {
	tlsVerify bool
	authFile  string
	quiet     bool
}

func (f *transferFlags) add(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&f.tlsVerify, "tls-verify", true, "require https with a trusted certificate (false: plain http or self-signed)")
	cmd.Flags().StringVar(&f.authFile, "authfile", "", "credentials file (default: $XDG_RUNTIME_DIR/containers/auth.json, ~/.docker/config.json)")
	cmd.Flags().BoolVarP(&f.quiet, "quiet", "q", false, "print no progress")
}

func (f *transferFlags) options(platform string) api.TransferOptions {
	return api.TransferOptions{Platform: platform, InsecureSkipTLSVerify: !f.tlsVerify, AuthFile: absOrEmpty(f.authFile)}
}

func newPullCommand() *cobra.Command {
	var tf transferFlags
	var platform string
	cmd := &cobra.Command{
		Use:   "pull [OPTIONS] NAME[:TAG|@DIGEST]",
		Short: "Download an image from a registry",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return inSession(needs{storage: true}, func(ctx context.Context, b *container.Backends) error {
				im, err := imagesOf(ctx, b.Storage, api.CapStoragePull, "pull")
				if err != nil {
					return err
				}
				bars := newProgress(tf.quiet, "Pull complete")
				img, err := im.Pull(ctx, args[0], tf.options(platform), bars.update)
				bars.finish()
				if err != nil {
					return err
				}
				if !tf.quiet && img.Digest != "" {
					fmt.Fprintf(os.Stderr, "Digest: %s\n", img.Digest)
				}
				fmt.Println(firstName(img))
				return nil
			})
		},
	}
	tf.add(cmd)
	cmd.Flags().StringVar(&platform, "platform", "", "pick this platform of a multi-platform image (os/arch[/variant])")
	return cmd
}

// imagesOf returns the storage plugin's image calls, refusing a verb whose
// capability the plugin does not announce, before any work.
func imagesOf(ctx context.Context, s api.Storage, capability, verb string) (api.ImageManager, error) {
	info, err := s.Info(ctx)
	if err != nil {
		return nil, err
	}
	im, ok := s.(api.ImageManager)
	for _, c := range info.Capabilities {
		if c == capability && ok {
			return im, nil
		}
	}
	return nil, api.Errorf(api.ErrNotImplemented, "use --storage overlay, fuse-overlayfs or vfs",
		"storage backend %s cannot %s", info.Name, verb)
}

func firstName(img api.Image) string {
	if len(img.Names) > 0 {
		return img.Names[0]
	}
	return "sha256:" + img.ID
}
