package e2e

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// pushRaw uploads a one-layer OCI image made of layer (an uncompressed
// tar) to the test registry as repoTag, straight through the registry API:
// rrun itself refuses to make such a layer.
func (r *testRegistry) pushRaw(t *testing.T, repoTag string, layer []byte) string {
	t.Helper()
	repo, tag, _ := strings.Cut(repoTag, ":")
	layerDigest := digestOf(layer)
	config := must(json.Marshal(map[string]any{
		"architecture": "amd64", "os": "linux",
		"config": map[string]any{"Cmd": []string{"/bin/sh"}},
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{layerDigest}},
	}))
	manifest := must(json.Marshal(map[string]any{
		"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
		"config": map[string]any{"mediaType": "application/vnd.oci.image.config.v1+json", "digest": digestOf(config), "size": len(config)},
		"layers": []map[string]any{{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layerDigest, "size": len(layer)}},
	}))
	for _, blob := range [][]byte{layer, config} {
		url := fmt.Sprintf("%s/v2/%s/blobs/uploads/?digest=%s", r.URL, repo, digestOf(blob))
		r.put(t, http.MethodPost, url, "application/octet-stream", blob)
	}
	r.put(t, http.MethodPut, fmt.Sprintf("%s/v2/%s/manifests/%s", r.URL, repo, tag), "application/vnd.oci.image.manifest.v1+json", manifest)
	return r.ref(repoTag)
}

func (r *testRegistry) put(t *testing.T, method, url, contentType string, body []byte) {
	t.Helper()
	req := must(http.NewRequest(method, url, bytes.NewReader(body)))
	req.Header.Set("Content-Type", contentType)
	resp := must(http.DefaultClient.Do(req))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %s", method, url, resp.Status)
	}
}

func digestOf(b []byte) string { return fmt.Sprintf("sha256:%x", sha256.Sum256(b)) }

// deepLayer is a tar whose one file lies depth directories deep.
func deepLayer(t *testing.T, depth int) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dir := ""
	for range depth {
		dir += "d/"
		must(0, tw.WriteHeader(&tar.Header{Name: dir, Typeflag: tar.TypeDir, Mode: 0o755, Format: tar.FormatPAX}))
	}
	must(0, tw.WriteHeader(&tar.Header{Name: dir + "f", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1, Format: tar.FormatPAX}))
	must(tw.Write([]byte("x")))
	must(0, tw.Close())
	return buf.Bytes()
}

// TestPullRefusesTooDeepLayer: a layer pulled from a registry is held to
// load's and import's limits (256 nested directories): the pull fails
// naming the reason, and the store keeps no image.
func TestPullRefusesTooDeepLayer(t *testing.T) {
	e := newEnv(t)
	reg := newRegistry(t)
	ref := reg.pushRaw(t, "deep/layer:1", deepLayer(t, 300))
	r := e.run("", "pull", "--tls-verify=false", ref)
	if r.code == 0 || !strings.Contains(r.stderr, "directories deep") {
		t.Errorf("pull of a 300-deep layer: want a failure saying it is too deep, got %s", r)
	}
	if out := e.ok("images", "-q").stdout; out != "" {
		t.Errorf("after the refused pull the store holds images: %q", out)
	}
	shallow := reg.pushRaw(t, "deep/shallow:1", deepLayer(t, 20))
	if r := e.run("", "pull", "--tls-verify=false", shallow); r.code != 0 {
		t.Errorf("pull of a 20-deep layer must work: %s", r)
	}
}
