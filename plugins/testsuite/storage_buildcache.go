package testsuite

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/rrun-project/rrun/plugins/api"
)

// testPruneBuildCache: PruneBuildCache deletes an unused cache layer,
// forgets the cache key of a layer an unnamed image uses, and keeps that
// image (`rrun builder prune` never removes images).
func (s *storageSuite) testPruneBuildCache(t *testing.T) {
	b, c, d := s.committer(t)
	info, err := b.Info(storageCtx(t))
	if err != nil {
		t.Fatalf("Info: %v", err)
	}
	p, ok := b.(api.CachePruner)
	if !ok || !slices.Contains(info.Capabilities, api.CapStorageBuildCache) {
		t.Skipf("backend %s does not announce %s", info.Name, api.CapStorageBuildCache)
	}
	ctx := storageCtx(t)
	key := fmt.Sprintf("suite-prune-%d-%d", os.Getpid(), time.Now().UnixNano())
	unused := commitStep(t, b, c, d.TopLayer, key+"-unused", func(dir string) { mustWrite(t, filepath.Join(dir, "u"), "1", 0o644) })
	kept := commitStep(t, b, c, d.TopLayer, key+"-kept", func(dir string) { mustWrite(t, filepath.Join(dir, "k"), "1", 0o644) })
	img := imageOf(t, c, baseConfig(t, d), kept.ID, chainOf(t, c, kept.ID)...)
	if _, err := p.PruneBuildCache(ctx); err != nil {
		t.Fatalf("PruneBuildCache: %v", err)
	}
	_, err = c.InspectLayer(ctx, unused.ID, "")
	storageWantKind(t, "InspectLayer(a pruned unused cache layer)", err, api.ErrNotFound)
	_, err = c.InspectLayer(ctx, "", key+"-kept")
	storageWantKind(t, "InspectLayer(the cache key of a layer an image uses)", err, api.ErrNotFound)
	if _, err := b.InspectImage(ctx, img.ID); err != nil {
		t.Errorf("PruneBuildCache removed the unnamed image %s: %v", img.ID, err)
	}
	if _, err := c.InspectLayer(ctx, kept.ID, ""); err != nil {
		t.Errorf("PruneBuildCache removed layer %s, which an image uses: %v", kept.ID, err)
	}
}
