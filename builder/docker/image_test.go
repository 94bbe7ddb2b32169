package docker

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"
)

// tarball builds a docker-archive-like tar with the given files.
func tarball(t testing.TB, gz bool, files map[string]string) []byte {
	var buf bytes.Buffer
	var zw *gzip.Writer
	tw := tar.NewWriter(&buf)
	if gz {
		zw = gzip.NewWriter(&buf)
		tw = tar.NewWriter(zw)
	}
	for _, name := range []string{"layer.tar", "config.json", "manifest.json", "./manifest.json"} {
		body, ok := files[name]
		if !ok {
			continue
		}
		_ = tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
		_, _ = tw.Write([]byte(body))
	}
	_ = tw.Close()
	if zw != nil {
		_ = zw.Close()
	}
	return buf.Bytes()
}

// FuzzImageTag: the manifest reader never panics on any file, gzipped or
// not, and reads the tag of a well-formed one.
func FuzzImageTag(f *testing.F) {
	manifest := `[{"Config":"config.json","RepoTags":["offline:latest"],"Layers":["layer.tar"]}]`
	f.Add(tarball(f, false, map[string]string{"layer.tar": "x", "manifest.json": manifest}))
	f.Add(tarball(f, true, map[string]string{"config.json": "{}", "./manifest.json": manifest}))
	f.Add(tarball(f, true, map[string]string{"manifest.json": `[{"RepoTags":[]}]`}))
	f.Add(tarball(f, false, map[string]string{"manifest.json": `{"not":"a list"}`}))
	f.Add(tarball(f, false, map[string]string{"layer.tar": "no manifest"}))
	f.Add([]byte{0x1f, 0x8b, 0, 0})
	f.Add([]byte("#!/bin/sh\necho streamLayeredImage\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "result.tar.gz")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		meta, err := ReadImageMeta(path)
		if err != nil && (meta.Tag != "" || meta.Platform != "") {
			t.Fatalf("metadata (%+v) with an error (%v)", meta, err)
		}
	})
}

func TestImageTagReadsTheManifest(t *testing.T) {
	manifest := `[{"Config":"config.json","RepoTags":["offline:e2e"],"Layers":["layer.tar"]}]`
	for _, gz := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "result.tar.gz")
		os.WriteFile(path, tarball(t, gz, map[string]string{"layer.tar": "x", "./manifest.json": manifest}), 0o644)
		if meta, err := ReadImageMeta(path); err != nil || meta.Tag != "offline:e2e" {
			t.Errorf("gzip %v: tag %q, %v", gz, meta.Tag, err)
		}
	}
}
