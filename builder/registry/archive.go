package registry

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// archiveOpens counts opened archives: a test's proof that an unchanged
// re-push reads no layer.
var archiveOpens atomic.Int64

// entry is where a file's data lies in an uncompressed tar.
type entry struct{ off, size int64 }

// archive is an uncompressed docker-archive opened for reading: the
// offsets of its files, so a layer is read with one seek.
type archive struct {
	f       *os.File
	entries map[string]entry
	// temp is the decompressed copy of a gzipped archive, removed by
	// close.
	temp string
}

// archiveManifest is one element of a docker-archive's manifest.json.
type archiveManifest struct {
	Config   string   `json:"Config"`
	RepoTags []string `json:"RepoTags"`
	Layers   []string `json:"Layers"`
}

// isGzip reports whether file starts with gzip's magic bytes.
func isGzip(file string) (bool, error) {
	f, err := os.Open(file)
	if err != nil {
		return false, err
	}
	defer f.Close()
	var magic [2]byte
	if _, err := io.ReadFull(f, magic[:]); err != nil {
		return false, fmt.Errorf("%s is not an image archive: %w", file, err)
	}
	return magic[0] == 0x1f && magic[1] == 0x8b, nil
}

// openArchive opens file for reading. A gzipped archive is decompressed
// once to a temporary file in tempDir (after checking that tempDir has the
// room), because a push reads the archive many times.
func openArchive(file, tempDir string) (*archive, error) {
	archiveOpens.Add(1)
	gz, err := isGzip(file)
	if err != nil {
		return nil, err
	}
	a := &archive{}
	name := file
	if gz {
		if name, err = gunzipTemp(file, tempDir); err != nil {
			return nil, err
		}
		a.temp = name
	}
	if a.f, err = os.Open(name); err != nil {
		a.close()
		return nil, err
	}
	if a.entries, err = scanTar(a.f); err != nil {
		a.close()
		return nil, fmt.Errorf("read image %s: %w", file, err)
	}
	return a, nil
}

// scanTar records the data offset of every regular file. archive/tar
// reads headers in whole blocks without buffering ahead, so the file's
// position after Next is the start of the entry's data.
func scanTar(f *os.File) (map[string]entry, error) {
	tr := tar.NewReader(f)
	out := map[string]entry{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		off, err := f.Seek(0, io.SeekCurrent)
		if err != nil {
			return nil, err
		}
		out[cleanName(h.Name)] = entry{off: off, size: h.Size}
	}
}

func cleanName(n string) string { return path.Clean(strings.TrimPrefix(n, "./")) }

// open returns a reader of the file name in the archive.
func (a *archive) open(name string) (*io.SectionReader, error) {
	e, ok := a.entries[cleanName(name)]
	if !ok {
		return nil, fmt.Errorf("image archive has no file %s", name)
	}
	return io.NewSectionReader(a.f, e.off, e.size), nil
}

// readJSON decodes the archive's file name into v.
func (a *archive) readJSON(name string, v any) ([]byte, error) {
	r, err := a.open(name)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(r, 16<<20))
	if err != nil {
		return nil, err
	}
	return b, json.Unmarshal(b, v)
}

func (a *archive) close() {
	if a.f != nil {
		a.f.Close()
	}
	if a.temp != "" {
		os.Remove(a.temp)
	}
}

// spareBytes is kept free beside a decompressed archive.
const spareBytes = 256 << 20

// gunzipTemp decompresses file into a new file in dir and returns its
// name. The uncompressed size comes from gzip's trailer (the size modulo
// 4 GiB, corrected upwards until it is at least the compressed size).
func gunzipTemp(file, dir string) (string, error) {
	src, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer src.Close()
	st, err := src.Stat()
	if err != nil {
		return "", err
	}
	need, err := gunzippedSize(src, st.Size())
	if err != nil {
		return "", fmt.Errorf("read image %s: %w", file, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	if free, err := freeBytes(dir); err == nil && free < uint64(need)+spareBytes {
		return "", fmt.Errorf("%s needs %d MB to decompress the image for the push, and has %d MB free: free some space", dir, (need+spareBytes)>>20, free>>20)
	}
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	zr, err := gzip.NewReader(bufio.NewReaderSize(src, 1<<20))
	if err != nil {
		return "", fmt.Errorf("read image %s: %w", file, err)
	}
	dst, err := os.CreateTemp(dir, "push-*.tar")
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(dst, zr); err != nil {
		dst.Close()
		os.Remove(dst.Name())
		return "", fmt.Errorf("decompress image %s into %s: %w", file, dir, err)
	}
	if err := dst.Close(); err != nil {
		os.Remove(dst.Name())
		return "", err
	}
	return filepath.Clean(dst.Name()), nil
}

func gunzippedSize(f *os.File, size int64) (int64, error) {
	if size < 18 {
		return 0, errors.New("gzip file too short")
	}
	var tail [4]byte
	if _, err := f.ReadAt(tail[:], size-4); err != nil {
		return 0, err
	}
	n := int64(binary.LittleEndian.Uint32(tail[:]))
	for n < size {
		n += 1 << 32
	}
	return n, nil
}

func freeBytes(dir string) (uint64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return uint64(st.Bavail) * uint64(st.Bsize), nil
}
