package container

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rrun-project/rrun/plugins/api"
)

// A pull asked over the broker's socket runs the broker's func with the
// request's options, and its error comes back as ErrUnavailable.
func TestPullBrokerRoundTrip(t *testing.T) {
	var got PullRequest
	b, err := ServePulls(filepath.Join(t.TempDir(), "pull.sock"), func(r PullRequest) error {
		got = r
		if r.Ref == "bad" {
			return errors.New("failed to pull bad: registry refused")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	opts := api.TransferOptions{InsecureSkipTLSVerify: true, AuthFile: "/a.json"}
	if err := pullOutside(context.Background(), b.Path, PullRequest{Ref: "good", Options: opts}); err != nil {
		t.Fatalf("good pull: %v", err)
	}
	if got.Ref != "good" || got.Options != opts || got.Version != pullBrokerVersion {
		t.Fatalf("the broker got %+v", got)
	}
	err = pullOutside(context.Background(), b.Path, PullRequest{Ref: "bad"})
	if !errors.Is(err, api.ErrUnavailable) || !strings.Contains(err.Error(), "registry refused") {
		t.Fatalf("bad pull: %v", err)
	}
}
