package docker

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
)

// ImageMeta is what nixpass reads from a docker-archive tarball.
type ImageMeta struct {
	// Tag is the first name:tag of manifest.json, as `docker load` names
	// the image; "" when the manifest has none.
	Tag string
	// Platform is os/architecture[/variant] from the image config, such
	// as "linux/arm64"; "" when the config does not say.
	Platform string
}

// maxConfigBytes bounds the JSON files kept while looking for the image
// config: configs are a few kilobytes.
const maxConfigBytes = 4 << 20

// ReadImageMeta reads the tag and platform of a docker-archive tarball,
// gzipped or not. The manifest may come before or after the config
// (streamLayeredImage writes it last), so top-level JSON files are kept
// until the manifest names its config; reading stops as soon as both are
// known.
func ReadImageMeta(file string) (ImageMeta, error) {
	f, err := os.Open(file)
	if err != nil {
		return ImageMeta{}, err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	var r io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return ImageMeta{}, fmt.Errorf("read image %s: %w", file, err)
		}
		defer zr.Close()
		r = zr
	}
	var (
		meta     ImageMeta
		manifest bool
		config   string
		jsons    = map[string][]byte{}
	)
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return ImageMeta{}, fmt.Errorf("read image %s: %w", file, err)
		}
		name := path.Clean(strings.TrimPrefix(h.Name, "./"))
		if h.Typeflag != tar.TypeReg || strings.Contains(name, "/") || !strings.HasSuffix(name, ".json") || h.Size > maxConfigBytes {
			continue
		}
		b, err := io.ReadAll(io.LimitReader(tr, maxConfigBytes))
		if err != nil {
			return ImageMeta{}, fmt.Errorf("read image %s: %s: %w", file, name, err)
		}
		if name != "manifest.json" {
			jsons[name] = b
		} else {
			var m []struct {
				Config   string   `json:"Config"`
				RepoTags []string `json:"RepoTags"`
			}
			if err := json.Unmarshal(b, &m); err != nil {
				return ImageMeta{}, fmt.Errorf("read image %s: manifest.json: %w", file, err)
			}
			manifest = true
			for _, e := range m {
				if config == "" {
					config = path.Clean(strings.TrimPrefix(e.Config, "./"))
				}
				if len(e.RepoTags) > 0 && meta.Tag == "" {
					meta.Tag = e.RepoTags[0]
				}
			}
		}
		if manifest && jsons[config] != nil {
			break
		}
	}
	if !manifest {
		return ImageMeta{}, fmt.Errorf("read image %s: no manifest.json: not a docker-archive tarball", file)
	}
	if b := jsons[config]; b != nil {
		var c struct {
			OS           string `json:"os"`
			Architecture string `json:"architecture"`
			Variant      string `json:"variant"`
		}
		if err := json.Unmarshal(b, &c); err != nil {
			return meta, fmt.Errorf("read image %s: config %s: %w", file, config, err)
		}
		meta.Platform = platformString(c.OS, c.Architecture, c.Variant)
	}
	return meta, nil
}

// platformString writes a platform the way docker does: os/arch, with a
// variant only where it is not the architecture's default (arm64's v8).
func platformString(os, arch, variant string) string {
	if os == "" || arch == "" {
		return ""
	}
	p := os + "/" + arch
	if variant != "" && (arch != "arm64" || variant != "v8") {
		p += "/" + variant
	}
	return p
}

// SystemPlatform is the image platform a Nix system string builds for,
// e.g. "linux/arm64" for "aarch64-linux"; "" for systems nixpass does not
// know.
func SystemPlatform(system string) string {
	switch system {
	case "x86_64-linux":
		return "linux/amd64"
	case "aarch64-linux":
		return "linux/arm64"
	}
	return ""
}
