package build

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/rrun-project/rrun/plugins/api"
)

// cacheKeyVersion changes when what a key covers changes, so that old
// entries are never taken for new ones.
const cacheKeyVersion = "rrun-build-cache-v1"

// cacheKey hashes a step's inputs: the parent layer, the config, the
// instruction and, for COPY and ADD, the copied files' checksum.
func cacheKey(parts ...string) string {
	h := sha256.New()
	for _, p := range append([]string{cacheKeyVersion}, parts...) {
		fmt.Fprintf(h, "%d:%s;", len(p), p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// cached looks key up in the storage plugin's cache, unless --no-cache.
// A hit on the parent itself is a step that changed nothing.
func (bl *builder) cached(ctx context.Context, s *stage, key string) (api.Layer, bool, error) {
	if bl.o.NoCache {
		return api.Layer{}, false, nil
	}
	l, err := bl.c.InspectLayer(ctx, "", key)
	if errors.Is(err, api.ErrNotFound) {
		return api.Layer{}, false, nil
	}
	if err != nil {
		return api.Layer{}, false, err
	}
	l.Empty = l.ID == s.top
	return l, true, nil
}
