package registry

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
)

// testImage describes a docker-archive to write the way dockerTools
// does: uncompressed layer tars, manifest.json last.
type testImage struct {
	tag    string // NAME:TAG in manifest.json, "" for none
	arch   string // amd64 when empty
	layers [][]byte
	gz     bool // gzip the whole archive, as buildImage does
}

// layerTar is a layer holding one file of size random bytes.
func layerTar(t testing.TB, name string, size int) []byte {
	t.Helper()
	data := make([]byte, size)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(size), Typeflag: tar.TypeReg})
	tw.Write(data)
	tw.Close()
	return b.Bytes()
}

func sum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// write writes the archive to dir/name and returns its path.
func (ti testImage) write(t testing.TB, dir, name string) string {
	t.Helper()
	arch := ti.arch
	if arch == "" {
		arch = "amd64"
	}
	var diffIDs, names []string
	for _, l := range ti.layers {
		diffIDs = append(diffIDs, "sha256:"+sum(l))
		names = append(names, sum(l)+"/layer.tar")
	}
	cfg, _ := json.Marshal(map[string]any{
		"architecture": arch, "os": "linux",
		"config": map[string]any{"Cmd": []string{"/bin/sh"}},
		"rootfs": map[string]any{"type": "layers", "diff_ids": diffIDs},
	})
	m := []map[string]any{{"Config": sum(cfg) + ".json", "Layers": names, "RepoTags": []string{}}}
	if ti.tag != "" {
		m[0]["RepoTags"] = []string{ti.tag}
	}
	man, _ := json.Marshal(m)
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	add := func(n string, data []byte) {
		tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg})
		tw.Write(data)
	}
	for i, l := range ti.layers {
		tw.WriteHeader(&tar.Header{Name: sum(l), Mode: 0o755, Typeflag: tar.TypeDir})
		add(names[i], l)
	}
	add(sum(cfg)+".json", cfg)
	add("manifest.json", man)
	tw.Close()
	out := b.Bytes()
	if ti.gz {
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write(out)
		zw.Close()
		out = z.Bytes()
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// memRegistry is go-containerregistry's in-process registry on a
// loopback port, with a log of the requests it answered and an optional
// fault injected in front of it.
type memRegistry struct {
	*httptest.Server
	mu    sync.Mutex
	reqs  []string
	fault func(w http.ResponseWriter, r *http.Request) bool
}

func newMemRegistry(t testing.TB) *memRegistry {
	m := &memRegistry{}
	h := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		m.reqs = append(m.reqs, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery)
		fault := m.fault
		m.mu.Unlock()
		if fault != nil && fault(w, r) {
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(m.Close)
	return m
}

// host is the registry's HOST:PORT.
func (m *memRegistry) host() string { return strings.TrimPrefix(m.URL, "http://") }

// count is how many requests matched method and a path containing part.
func (m *memRegistry) count(method, part string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, r := range m.reqs {
		if strings.HasPrefix(r, method+" ") && strings.Contains(r, part) {
			n++
		}
	}
	return n
}

func (m *memRegistry) reset() {
	m.mu.Lock()
	m.reqs = nil
	m.mu.Unlock()
}

func (m *memRegistry) setFault(f func(w http.ResponseWriter, r *http.Request) bool) {
	m.mu.Lock()
	m.fault = f
	m.mu.Unlock()
}

func registryError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"errors":[{"code":%q,"message":%q}]}`, code, msg)
}

func mustRef(t testing.TB, s string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(s, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
