package registry

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// source is one image file, opened only when a layer's bytes are needed.
type source struct {
	file    string
	tempDir string
	cache   *cache
	prog    *tracker

	mu  sync.Mutex
	arc *archive
	err error
}

func (s *source) archive() (*archive, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.arc == nil && s.err == nil {
		s.arc, s.err = openArchive(s.file, s.tempDir)
	}
	return s.arc, s.err
}

func (s *source) open(name string) (*io.SectionReader, error) {
	a, err := s.archive()
	if err != nil {
		return nil, err
	}
	return a.open(name)
}

func (s *source) progressed(eof bool, l *layer) { s.prog.update(eof, l) }

// close removes the decompressed copy of a gzipped file.
func (s *source) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.arc != nil {
		s.arc.close()
	}
	s.arc, s.err = nil, nil
}

// imageInfoOf reads what a push needs of the image file, from the cache
// when the file is unchanged (same size and modification time).
func (s *source) imageInfo() (*imageInfo, error) {
	st, err := os.Stat(s.file)
	if err != nil {
		return nil, err
	}
	if info, ok := s.cache.image(s.file, st); ok {
		return info, nil
	}
	a, err := s.archive()
	if err != nil {
		return nil, err
	}
	var ms []archiveManifest
	if _, err := a.readJSON("manifest.json", &ms); err != nil {
		return nil, fmt.Errorf("read image %s: manifest.json: %w", s.file, err)
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("read image %s: manifest.json lists no image", s.file)
	}
	m := ms[0]
	info := &imageInfo{Size: st.Size(), ModTime: st.ModTime(), Layers: m.Layers}
	if len(m.RepoTags) > 0 {
		info.Tag = m.RepoTags[0]
	}
	var cfg json.RawMessage
	if info.Config, err = a.readJSON(m.Config, &cfg); err != nil {
		return nil, fmt.Errorf("read image %s: config %s: %w", s.file, m.Config, err)
	}
	for _, name := range m.Layers {
		r, err := a.open(name)
		if err != nil {
			return nil, fmt.Errorf("read image %s: %w", s.file, err)
		}
		var magic [2]byte
		n, _ := r.ReadAt(magic[:], 0)
		info.Compressed = append(info.Compressed, n == 2 && magic[0] == 0x1f && magic[1] == 0x8b)
	}
	return info, s.cache.setImage(s.file, info)
}

// image is an image file as a go-containerregistry image whose
// manifest, config and layer digests come from the cache when known.
type image struct {
	src    *source
	info   *imageInfo
	cfg    *v1.ConfigFile
	layers []*layer
	// repo is where the image goes, for cross-repository mounts.
	repo name.Repository

	mu       sync.Mutex
	manifest []byte
}

var _ v1.Image = (*image)(nil)

func newImage(src *source, version string, repo name.Repository) (*image, error) {
	info, err := src.imageInfo()
	if err != nil {
		return nil, err
	}
	cfg, err := v1.ParseConfigFile(bytes.NewReader(info.Config))
	if err != nil {
		return nil, fmt.Errorf("read image %s: config: %w", src.file, err)
	}
	if len(cfg.RootFS.DiffIDs) != len(info.Layers) {
		return nil, fmt.Errorf("read image %s: the config lists %d layers and the manifest %d", src.file, len(cfg.RootFS.DiffIDs), len(info.Layers))
	}
	img := &image{src: src, info: info, cfg: cfg, repo: repo}
	for i, n := range info.Layers {
		l := &layer{src: src, name: n, diffID: cfg.RootFS.DiffIDs[i]}
		l.precompressed = i < len(info.Compressed) && info.Compressed[i]
		c := compression
		if l.precompressed {
			c = "as-is"
		}
		l.key = layerKey(l.diffID.String(), c, level, version)
		img.layers = append(img.layers, l)
	}
	return img, nil
}

// Platform is the image's platform from its config.
func (i *image) Platform() *v1.Platform {
	return &v1.Platform{OS: i.cfg.OS, Architecture: i.cfg.Architecture, Variant: i.cfg.Variant}
}

// Layers are the image's layers; one nixpass pushed before to another
// repository of the same registry is offered for a cross-repository
// mount from there.
func (i *image) Layers() ([]v1.Layer, error) {
	out := make([]v1.Layer, len(i.layers))
	for n, l := range i.layers {
		out[n] = l
		b, ok := i.src.cache.layer(l.key)
		if !ok {
			continue
		}
		from := i.src.cache.mountFrom(b.Digest, i.repo.RegistryStr(), i.repo.RepositoryStr())
		if from == "" {
			continue
		}
		d, err := name.NewDigest(from+"@"+b.Digest, insecureOpt(i.repo)...)
		if err == nil {
			out[n] = &remote.MountableLayer{Layer: l, Reference: d}
		}
	}
	return out, nil
}

func insecureOpt(r name.Repository) []name.Option {
	if r.Scheme() == "http" {
		return []name.Option{name.Insecure}
	}
	return nil
}

// MediaType is Docker's manifest, as dockerTools images are Docker
// images.
func (i *image) MediaType() (types.MediaType, error) { return types.DockerManifestSchema2, nil }

// Size is the manifest's size.
func (i *image) Size() (int64, error) {
	b, err := i.RawManifest()
	return int64(len(b)), err
}

// ConfigName is the config's digest.
func (i *image) ConfigName() (v1.Hash, error) { return sha(i.info.Config), nil }

// ConfigFile is the parsed config.
func (i *image) ConfigFile() (*v1.ConfigFile, error) { return i.cfg, nil }

// RawConfigFile is the config as the image file holds it.
func (i *image) RawConfigFile() ([]byte, error) { return i.info.Config, nil }

// Digest is the manifest's digest.
func (i *image) Digest() (v1.Hash, error) {
	b, err := i.RawManifest()
	if err != nil {
		return v1.Hash{}, err
	}
	return sha(b), nil
}

// Manifest is the parsed manifest.
func (i *image) Manifest() (*v1.Manifest, error) {
	b, err := i.RawManifest()
	if err != nil {
		return nil, err
	}
	return v1.ParseManifest(bytes.NewReader(b))
}

// RawManifest is the Docker manifest of the config and the compressed
// layers, computed once.
func (i *image) RawManifest() ([]byte, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.manifest != nil {
		return i.manifest, nil
	}
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.DockerManifestSchema2,
		Config:        v1.Descriptor{MediaType: types.DockerConfigJSON, Size: int64(len(i.info.Config)), Digest: sha(i.info.Config)},
	}
	for _, l := range i.layers {
		b, err := l.info()
		if err != nil {
			return nil, err
		}
		d, err := v1.NewHash(b.Digest)
		if err != nil {
			return nil, err
		}
		m.Layers = append(m.Layers, v1.Descriptor{MediaType: types.DockerLayer, Size: b.Size, Digest: d})
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	i.manifest = b
	return b, nil
}

// LayerByDigest finds a layer by its compressed digest.
func (i *image) LayerByDigest(h v1.Hash) (v1.Layer, error) {
	for _, l := range i.layers {
		if d, err := l.Digest(); err == nil && d == h {
			return l, nil
		}
	}
	return nil, fmt.Errorf("image %s has no layer %s", filepath.Base(i.src.file), h)
}

// LayerByDiffID finds a layer by its uncompressed digest.
func (i *image) LayerByDiffID(h v1.Hash) (v1.Layer, error) {
	for _, l := range i.layers {
		if l.diffID == h {
			return l, nil
		}
	}
	return nil, fmt.Errorf("image %s has no layer with diff ID %s", filepath.Base(i.src.file), h)
}

func sha(b []byte) v1.Hash {
	s := sha256.Sum256(b)
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(s[:])}
}
