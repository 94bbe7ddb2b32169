package builder

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzProtocolLine: any line on the script's stdout is handled without a
// panic, and a well-formed "@nixpass KEY VALUE" line reports exactly its
// value.
func FuzzProtocolLine(f *testing.F) {
	for _, s := range []string{
		"@nixpass pid 123", "@nixpass uptime 12.5", "@nixpass phase evaluating",
		"@nixpass store-path /nix/store/abc-image.tar.gz", "@nixpass up-to-date",
		"@nixpass copied 1032046", "@nixpass signal 9", "@nixpass kmsg [  5.1] Out of memory: Killed process 12 (cc1)",
		"@nixpass error disk-full cp: No space left on device", "@nixpass error", "@nixpass ", "@nixpass",
		"not protocol", "@nixpass copied -1", "@nixpass uptime NaN", "@nixpass store-path /a b\x00c",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		r := &run{b: &Builder{}, p: Project{Dir: "/p"}, res: &Result{}}
		r.protocolLine(line)
		rest, ok := strings.CutPrefix(line, "@nixpass ")
		if !ok {
			return
		}
		key, val, _ := strings.Cut(rest, " ")
		switch key {
		case "store-path":
			if r.report.storePath != val {
				t.Fatalf("store-path %q reported as %q", val, r.report.storePath)
			}
		case "error":
			code, msg, _ := strings.Cut(val, " ")
			if r.report.errCode != code || r.report.errMsg != msg {
				t.Fatalf("error %q reported as %q %q", val, r.report.errCode, r.report.errMsg)
			}
		case "kmsg":
			if len(r.report.kmsg) != 1 || r.report.kmsg[0] != val {
				t.Fatalf("kmsg %q reported as %q", val, r.report.kmsg)
			}
		}
	})
}

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
		meta, err := readImageMeta(path)
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
		if meta, err := readImageMeta(path); err != nil || meta.Tag != "offline:e2e" {
			t.Errorf("gzip %v: tag %q, %v", gz, meta.Tag, err)
		}
	}
}
