package registry

import (
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Compression of the layers nixpass uploads. Nix writes layers
// uncompressed; gzip at BestSpeed is what registries and every client
// accept, at a fraction of the default level's CPU time.
const (
	compression = "gzip"
	level       = gzip.BestSpeed
)

// layer is one layer of an image file. Its compressed digest and size
// come from the cache when nixpass compressed the same layer before, so
// asking for them reads nothing; its bytes are read only when the
// registry lacks the blob.
type layer struct {
	src    *source
	name   string // the layer's file in the archive
	diffID v1.Hash
	// precompressed is a layer stored gzipped in the archive: its digest
	// is that of its bytes.
	precompressed bool
	key           string

	mu        sync.Mutex
	blob      *blobInfo
	fromCache bool

	// opened is set when the upload asked for the layer's bytes.
	opened atomic.Bool
	sent   atomic.Int64
}

var _ v1.Layer = (*layer)(nil)

func (l *layer) info() (blobInfo, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.blob != nil {
		return *l.blob, nil
	}
	if b, ok := l.src.cache.layer(l.key); ok {
		l.blob, l.fromCache = &b, true
		return b, nil
	}
	r, err := l.compressed(false)
	if err != nil {
		return blobInfo{}, err
	}
	defer r.Close()
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return blobInfo{}, fmt.Errorf("compress layer %s: %w", l.diffID, err)
	}
	b := blobInfo{Digest: "sha256:" + hex.EncodeToString(h.Sum(nil)), Size: n}
	l.blob, l.fromCache = &b, false
	l.src.cache.setLayer(l.key, b)
	return b, nil
}

// Digest is the compressed blob's digest.
func (l *layer) Digest() (v1.Hash, error) {
	b, err := l.info()
	if err != nil {
		return v1.Hash{}, err
	}
	return v1.NewHash(b.Digest)
}

// DiffID is the uncompressed layer's digest, from the image config.
func (l *layer) DiffID() (v1.Hash, error) { return l.diffID, nil }

// Size is the compressed blob's size.
func (l *layer) Size() (int64, error) {
	b, err := l.info()
	return b.Size, err
}

// MediaType is Docker's gzipped layer, matching the manifest list and
// Docker manifests nixpass writes.
func (l *layer) MediaType() (types.MediaType, error) { return types.DockerLayer, nil }

// Compressed streams the gzipped layer, counting what the upload reads.
func (l *layer) Compressed() (io.ReadCloser, error) { return l.compressed(true) }

func (l *layer) compressed(upload bool) (io.ReadCloser, error) {
	raw, err := l.src.open(l.name)
	if err != nil {
		return nil, err
	}
	var r io.ReadCloser
	if l.precompressed {
		r = io.NopCloser(raw)
	} else {
		pr, pw := io.Pipe()
		go func() {
			zw, _ := gzip.NewWriterLevel(pw, level)
			_, err := io.Copy(zw, bufio.NewReaderSize(raw, 1<<20))
			if err == nil {
				err = zw.Close()
			}
			pw.CloseWithError(err)
		}()
		r = pr
	}
	if !upload {
		return r, nil
	}
	l.opened.Store(true)
	l.sent.Store(0)
	return &counter{r: r, l: l}, nil
}

// Uncompressed streams the layer as a tar.
func (l *layer) Uncompressed() (io.ReadCloser, error) {
	raw, err := l.src.open(l.name)
	if err != nil {
		return nil, err
	}
	if !l.precompressed {
		return io.NopCloser(raw), nil
	}
	return gzip.NewReader(raw)
}

// counter reports the bytes an upload reads.
type counter struct {
	r io.ReadCloser
	l *layer
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.l.sent.Add(int64(n))
	c.l.src.progressed(err == io.EOF, c.l)
	return n, err
}

func (c *counter) Close() error { return c.r.Close() }
