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
		if r.Ref == "hinted" {
			return api.Errorf(api.ErrUnavailable, "add --tls-verify=false (for a plain-http registry)",
				"failed to pull hinted (the second try): registry speaks plain http")
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
	// The message and the hint cross as two fields, parentheses and all.
	err = pullOutside(context.Background(), b.Path, PullRequest{Ref: "hinted"})
	if err == nil || err.Error() != "failed to pull hinted (the second try): registry speaks plain http" ||
		api.HintOf(err) != "add --tls-verify=false (for a plain-http registry)" {
		t.Fatalf("hinted pull: message %q, hint %q", err, api.HintOf(err))
	}
}
