package builder

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// imageTag reads name:tag from a docker-archive tarball (gzipped or not),
// as `docker load` will name it. It stops reading at manifest.json.
func imageTag(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	var r io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return "", fmt.Errorf("read image %s: %w", path, err)
		}
		defer zr.Close()
		r = zr
	}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read image %s: no manifest.json: not a docker-archive tarball", path)
		}
		if err != nil {
			return "", fmt.Errorf("read image %s: %w", path, err)
		}
		if strings.TrimPrefix(h.Name, "./") != "manifest.json" {
			continue
		}
		var m []struct {
			RepoTags []string `json:"RepoTags"`
		}
		if err := json.NewDecoder(tr).Decode(&m); err != nil {
			return "", fmt.Errorf("read image %s: manifest.json: %w", path, err)
		}
		for _, e := range m {
			if len(e.RepoTags) > 0 {
				return e.RepoTags[0], nil
			}
		}
		return "", nil
	}
}
