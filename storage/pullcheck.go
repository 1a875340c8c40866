package storage

import (
	"context"
	"io"
	"sync"

	"go.podman.io/image/v5/types"
)

// checkedReference is a registry reference whose blobs are checked as
// they stream into the store (checkLayer's limits, as for load and
// import): a layer past them fails the pull at its first bad entry,
// before c/storage spends minutes unpacking it.
type checkedReference struct {
	types.ImageReference
}

// NewImageSource wraps the source so that every blob is checked.
func (r checkedReference) NewImageSource(ctx context.Context, sys *types.SystemContext) (types.ImageSource, error) {
	src, err := r.ImageReference.NewImageSource(ctx, sys)
	if err != nil {
		return nil, err
	}
	return checkedSource{src}, nil
}

// checkedSource is an ImageSource whose GetBlob streams are checked.
type checkedSource struct {
	types.ImageSource
}

// GetBlob returns the blob's stream, checked on the fly.
func (s checkedSource) GetBlob(ctx context.Context, info types.BlobInfo, cache types.BlobInfoCache) (io.ReadCloser, int64, error) {
	rc, size, err := s.ImageSource.GetBlob(ctx, info, cache)
	if err != nil {
		return nil, 0, err
	}
	return newCheckingReader(info.Digest.String(), rc), size, nil
}

// checkingReader tees a blob into checkLayer, which runs alongside (a
// blob that is no tar passes). A refused entry turns the next Read into
// the error; at EOF the check has read everything too, so a bad last
// entry is still reported before the consumer sees the end.
type checkingReader struct {
	src  io.ReadCloser
	pw   *io.PipeWriter
	done chan struct{}
	mu   sync.Mutex
	err  error
}

func newCheckingReader(name string, src io.ReadCloser) *checkingReader {
	pr, pw := io.Pipe()
	c := &checkingReader{src: src, pw: pw, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		err := checkLayer(name, pr)
		c.mu.Lock()
		c.err = err
		c.mu.Unlock()
		if err != nil {
			pr.CloseWithError(err)
			return
		}
		_, _ = io.Copy(io.Discard, pr) // the rest (padding, a non-tar blob) must not block the tee
	}()
	return c
}

// Read passes the blob on and feeds the checker.
func (c *checkingReader) Read(p []byte) (int, error) {
	if err := c.failed(); err != nil {
		return 0, err
	}
	n, err := c.src.Read(p)
	if n > 0 {
		if _, werr := c.pw.Write(p[:n]); werr != nil {
			if cerr := c.failed(); cerr != nil {
				return 0, cerr
			}
		}
	}
	if err == io.EOF {
		c.pw.Close()
		<-c.done
		if cerr := c.failed(); cerr != nil {
			return 0, cerr
		}
	}
	return n, err
}

func (c *checkingReader) failed() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Close stops the checker and closes the blob.
func (c *checkingReader) Close() error {
	c.pw.CloseWithError(io.ErrClosedPipe)
	<-c.done
	return c.src.Close()
}
