package build

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/rrun-project/rrun/plugins/api"
)

// isURL reports an ADD source that is downloaded.
func isURL(p string) bool {
	return strings.HasPrefix(p, "http://") || strings.HasPrefix(p, "https://")
}

// urlSource downloads the URLs of an ADD into a directory of the build
// and returns it as the copy's source, with the downloaded files' names.
// As docker does, a file is not extracted, has mode 0600 and owner 0:0
// (unless --chmod/--chown), and the time of its Last-Modified header
// (the epoch without one, so that an unchanged download is a cache hit).
// The download goes through the build's network: with --network none it
// fails.
func (bl *builder) urlSource(ctx context.Context, c copySpec) (*copySource, []string, error) {
	if bl.o.Network == "none" {
		return nil, nil, api.Errorf(api.ErrFailedPrecondition, "build with --network host, pasta or slirp4netns, or download in a RUN step",
			"ADD %s: cannot download with --network none", c.srcs[0])
	}
	dir, err := bl.tempDir("add-url-")
	if err != nil {
		return nil, nil, fmt.Errorf("failed to make a directory for ADD's downloads: %w", err)
	}
	src := &copySource{root: dir, close: func() { os.RemoveAll(dir) }}
	h := sha256.New()
	var files []string
	for _, u := range c.srcs {
		name, sum, err := download(ctx, u, dir, c.checksum)
		if err != nil {
			src.close()
			return nil, nil, err
		}
		fmt.Fprintf(h, "%s\x00%s\x00", u, sum)
		files = append(files, name)
	}
	src.id = "url:" + hex.EncodeToString(h.Sum(nil))
	return src, files, nil
}

// download GETs u into dir and returns the file's name and what the cache
// key covers (its digest and time). want is ADD --checksum.
func download(ctx context.Context, u, dir, want string) (name, sum string, err error) {
	name, err = urlFileName(u)
	if err != nil {
		return "", "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", "", api.Errorf(api.ErrInvalidArgument, "", "ADD %s: %v", u, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", "", api.Errorf(api.ErrUnavailable, "", "ADD: failed to download %s: %v", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", "", api.Errorf(api.ErrUnavailable, "", "ADD: failed to download %s: %s", u, resp.Status)
	}
	p := filepath.Join(dir, name)
	digest, err := saveBody(resp.Body, p)
	if err != nil {
		return "", "", fmt.Errorf("ADD: failed to download %s: %w", u, err)
	}
	if want != "" && want != digest {
		return "", "", api.Errorf(api.ErrInvalidArgument, "", "ADD %s: digest mismatch %s: %s", u, digest, want)
	}
	mtime := time.Unix(0, 0)
	if t, err := http.ParseTime(resp.Header.Get("Last-Modified")); err == nil {
		mtime = t
	}
	if err := os.Chtimes(p, mtime, mtime); err != nil {
		return "", "", fmt.Errorf("ADD: failed to set the time of %s: %w", name, err)
	}
	return name, digest + "@" + mtime.UTC().Format(time.RFC3339), nil
}

// saveBody writes r to a new 0600 file p and returns its sha256 digest.
func saveBody(r io.Reader, p string) (string, error) {
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	_, err = io.Copy(io.MultiWriter(f, h), r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), err
}

// urlFileName is the name a download gets: the last element of the URL's
// path, as docker does.
func urlFileName(u string) (string, error) {
	pu, err := url.Parse(u)
	if err != nil {
		return "", api.Errorf(api.ErrInvalidArgument, "", "ADD: invalid URL %s: %v", u, err)
	}
	name := path.Base(path.Clean("/" + pu.Path))
	if name == "/" || name == "." {
		return "", api.Errorf(api.ErrInvalidArgument, "give the file's name in the destination",
			"ADD %s: cannot tell a file name from the URL", u)
	}
	return name, nil
}
