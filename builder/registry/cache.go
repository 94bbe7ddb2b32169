package registry

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/google/renameio/v2"
)

// The cache lives in STATE/registry: what nixpass learnt pushing, so that
// an unchanged re-push reads no layer. Every file is a cache: losing one
// costs time, never correctness (the registry checks every digest).
type cache struct {
	dir string
	mu  sync.Mutex
	// Layers maps layerKey → the compressed blob of that layer.
	Layers map[string]blobInfo `json:"layers"`
	// Pushed maps a blob digest → "REGISTRY/REPO" it was pushed to or
	// found in, most recent last: the only repositories a cross-repository
	// mount may take it from.
	Pushed map[string][]string `json:"pushed"`
	dirty  bool
	// dropped are layer keys a registry refused, not to be merged back.
	dropped map[string]bool
}

// blobInfo is a compressed layer's digest and size.
type blobInfo struct {
	Digest string `json:"digest"`
	Size   int64  `json:"size"`
}

// maxRepos bounds the repositories remembered per blob.
const maxRepos = 4

// layerKey keys a compressed layer: the same uncompressed layer,
// compressed by the same code at the same level, gives the same bytes.
// The code is nixpass's version and the Go release it was built with
// (compress/gzip's output may change between releases).
func layerKey(diffID, compression string, level int, version string) string {
	return diffID + "|" + compression + "|" + strconv.Itoa(level) + "|" + version + "|" + runtime.Version()
}

func loadCache(stateDir string) *cache {
	c := &cache{dir: filepath.Join(stateDir, "registry"), Layers: map[string]blobInfo{}, Pushed: map[string][]string{}}
	if b, err := os.ReadFile(filepath.Join(c.dir, "blobs.json")); err == nil {
		_ = json.Unmarshal(b, c)
	}
	if c.Layers == nil {
		c.Layers = map[string]blobInfo{}
	}
	if c.Pushed == nil {
		c.Pushed = map[string][]string{}
	}
	return c
}

func (c *cache) layer(key string) (blobInfo, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.Layers[key]
	return b, ok
}

func (c *cache) setLayer(key string, b blobInfo) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.Layers[key], c.dirty = b, true
}

func (c *cache) dropLayer(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.Layers, key)
	if c.dropped == nil {
		c.dropped = map[string]bool{}
	}
	c.dropped[key], c.dirty = true, true
}

// pushedTo records that repo holds digest.
func (c *cache) pushedTo(digest, repo string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := slices.DeleteFunc(c.Pushed[digest], func(s string) bool { return s == repo })
	l = append(l, repo)
	if len(l) > maxRepos {
		l = l[len(l)-maxRepos:]
	}
	c.Pushed[digest], c.dirty = l, true
}

// mountFrom is a repository of registry, other than repo, that nixpass
// pushed digest to before; "" when there is none.
func (c *cache) mountFrom(digest, registry, repo string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := c.Pushed[digest]
	for i := len(l) - 1; i >= 0; i-- {
		if r := l[i]; r != registry+"/"+repo && len(r) > len(registry) && r[:len(registry)+1] == registry+"/" {
			return r
		}
	}
	return ""
}

// save writes the cache back, merged over what another process may
// have saved meanwhile.
func (c *cache) save() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.dirty {
		return nil
	}
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return err
	}
	disk := loadCache(filepath.Dir(c.dir))
	for k, v := range disk.Layers {
		if _, ok := c.Layers[k]; !ok && !c.dropped[k] {
			c.Layers[k] = v
		}
	}
	for k, v := range disk.Pushed {
		if _, ok := c.Pushed[k]; !ok {
			c.Pushed[k] = v
		}
	}
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return renameio.WriteFile(filepath.Join(c.dir, "blobs.json"), b, 0o600)
}

// imageInfo is what a push needs of an image file besides its layers'
// bytes, cached by the file's path, size and modification time.
type imageInfo struct {
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mod_time"`
	// Tag is the first NAME:TAG of the archive's manifest.json.
	Tag string `json:"tag,omitempty"`
	// Config is the image's config file, as written.
	Config json.RawMessage `json:"config"`
	// Layers are the archive's layer files, in order.
	Layers []string `json:"layers"`
	// Compressed marks layers stored compressed in the archive.
	Compressed []bool `json:"compressed,omitempty"`
}

func (c *cache) imagePath(file string) string {
	sum := sha256.Sum256([]byte(file))
	return filepath.Join(c.dir, "images", hex.EncodeToString(sum[:12])+".json")
}

// image returns the cached info of file if the file is unchanged.
func (c *cache) image(file string, st fs.FileInfo) (*imageInfo, bool) {
	b, err := os.ReadFile(c.imagePath(file))
	if err != nil {
		return nil, false
	}
	var info imageInfo
	if json.Unmarshal(b, &info) != nil || info.Size != st.Size() || !info.ModTime.Equal(st.ModTime()) || len(info.Config) == 0 {
		return nil, false
	}
	return &info, true
}

func (c *cache) setImage(file string, info *imageInfo) error {
	b, err := json.Marshal(info)
	if err != nil {
		return err
	}
	p := c.imagePath(file)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	if err := renameio.WriteFile(p, b, 0o600); err != nil {
		return err
	}
	pruneOldest(filepath.Dir(p), imagesKept)
	return nil
}

// imagesKept bounds the cached image infos: one per image file pushed,
// and every build of a store path is a new file.
const imagesKept = 256

// pruneOldest removes the least recently written files of dir beyond
// keep.
func pruneOldest(dir string, keep int) {
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) <= keep {
		return
	}
	type aged struct {
		name string
		t    time.Time
	}
	var files []aged
	for _, e := range entries {
		if info, err := e.Info(); err == nil && info.Mode().IsRegular() {
			files = append(files, aged{e.Name(), info.ModTime()})
		}
	}
	slices.SortFunc(files, func(a, b aged) int { return b.t.Compare(a.t) })
	for _, f := range files[min(keep, len(files)):] {
		os.Remove(filepath.Join(dir, f.name))
	}
}
