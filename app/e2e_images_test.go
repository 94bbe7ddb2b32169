package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"nixpass/builder"
)

// End-to-end tests of issue 9 through the real binary with real Nix:
// streamed images, the platform of every result, other architectures.

// archive is what a docker-archive holds, read without nixpass's code.
type archive struct {
	gzipped  bool
	repoTags []string
	config   struct {
		OS           string `json:"os"`
		Architecture string `json:"architecture"`
	}
}

func readArchive(t *testing.T, path string) archive {
	t.Helper()
	b := readFile(t, path)
	var a archive
	var r io.Reader = bytes.NewReader(b)
	if len(b) > 2 && b[0] == 0x1f && b[1] == 0x8b {
		a.gzipped = true
		zr, err := gzip.NewReader(r)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	}
	files := map[string][]byte{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s is not a tar archive: %v", path, err)
		}
		if strings.HasSuffix(h.Name, ".json") {
			files[h.Name], _ = io.ReadAll(tr)
		}
	}
	var m []struct {
		Config   string
		RepoTags []string
	}
	if err := json.Unmarshal(files["manifest.json"], &m); err != nil || len(m) != 1 {
		t.Fatalf("%s: manifest.json %q: %v", path, files["manifest.json"], err)
	}
	a.repoTags = m[0].RepoTags
	if err := json.Unmarshal(files[m[0].Config], &a.config); err != nil {
		t.Fatalf("%s: config %s: %v", path, m[0].Config, err)
	}
	return a
}

// streamProject is a project whose output is a streamed image's program.
func (w *world) streamProject(name, defaultNix string) string {
	w.t.Helper()
	dir := w.project(name, defaultNix)
	b, err := os.ReadFile(filepath.Join("..", "examples", "offline", "stream.nix"))
	if err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "stream.nix"), b, 0o644); err != nil {
		w.t.Fatal(err)
	}
	return dir
}

func streamNix(tag, streamPrepare string) string {
	return fmt.Sprintf("import ./stream.nix { tag = %q; streamPrepare = %q; }\n", tag, streamPrepare)
}

// hostPlatform is the platform of images built natively here.
func hostPlatform() string { return "linux/" + runtime.GOARCH }

func TestStreamedImageBuildsAValidArchive(t *testing.T) {
	needNix(t)
	for _, output := range []string{"result.tar.gz", "image.tar"} {
		t.Run(output, func(t *testing.T) {
			w := newWorld(t)
			dir := w.streamProject("streamed app", streamNix("e2e-stream", ""))
			if o := w.run("add", dir, "--output", output); o.code != 0 {
				t.Fatalf("add: %v", o)
			}
			o := w.run("build", dir, "--json")
			if o.code != 0 || o.res.Status != "succeeded" {
				t.Fatalf("build: %v", o)
			}
			out := filepath.Join(dir, output)
			a := readArchive(t, out)
			if a.gzipped != strings.HasSuffix(output, ".gz") {
				t.Errorf("%s gzipped = %v", output, a.gzipped)
			}
			if len(a.repoTags) != 1 || a.repoTags[0] != "offline-stream:e2e-stream" || o.res.Image != "offline-stream:e2e-stream" {
				t.Errorf("tags %q, result image %q; want offline-stream:e2e-stream", a.repoTags, o.res.Image)
			}
			if a.config.OS != "linux" || o.res.Platform != hostPlatform() || o.res.Platform != "linux/"+a.config.Architecture {
				t.Errorf("config %+v, result platform %q; want %s", a.config, o.res.Platform, hostPlatform())
			}
			if st, _ := os.Stat(out); st == nil || st.Size() != o.res.Bytes || st.Size() < 100000 {
				t.Errorf("output %v, result bytes %d: not the streamed image (the program is a few hundred bytes)", st, o.res.Bytes)
			}
			noTemps(t, dir)
			// The same store path and an intact file: nothing to stream.
			o = w.run("build", dir, "--json")
			if o.code != 0 || !o.res.UpToDate || o.res.Platform != hostPlatform() {
				t.Fatalf("second build should be up to date: %v", o)
			}
			o = w.run("build", dir)
			if o.code != 0 || !strings.Contains(o.stdout, "offline-stream:e2e-stream ("+hostPlatform()+")") {
				t.Errorf("the CLI output does not name the platform: %v", o)
			}
			o = w.run("status")
			if o.code != 0 || !strings.Contains(o.stdout, "offline-stream:e2e-stream ("+hostPlatform()+")") {
				t.Errorf("status does not name the platform: %v", o)
			}
		})
	}
}

func TestStreamedImageFailureKeepsLastGood(t *testing.T) {
	needNix(t)
	w := newWorld(t)
	dir := w.streamProject("app", streamNix("e2e-stream-good", ""))
	good := buildGood(t, w, dir)
	w.setNix(dir, streamNix("e2e-stream-bad", "echo 'stream: no layer' >&2; exit 4"))
	o := w.run("build", dir, "--json")
	if o.code != 3 || o.res.Kind != builder.KindBuild || !strings.Contains(o.res.Message, "exited with status 4") {
		t.Fatalf("a failing stream: %v", o)
	}
	if !bytes.Contains(readFile(t, o.res.Log), []byte("stream: no layer")) {
		t.Error("the program's stderr is not in the build log")
	}
	keptImage(t, dir, good, "a failing stream")

	// Output that is a file but no image: a build error, not a success.
	w.setNix(dir, imageNix("e2e-text", `echo "not an image" >"$out"; exit 0`))
	o = w.run("build", dir, "--json")
	if o.code != 3 || o.res.Kind != builder.KindBuild || !strings.Contains(o.res.Message, "not a Docker image archive") {
		t.Fatalf("a text file: %v", o)
	}
	keptImage(t, dir, good, "a non-image output")
}

func TestStreamedImageCancelStopsTheStream(t *testing.T) {
	needNix(t)
	w := newWorld(t)
	dir := w.streamProject("app", streamNix("e2e-stream-c-good", ""))
	good := buildGood(t, w, dir)
	marker := uniqueSleep()
	w.setNix(dir, streamNix("e2e-stream-cancel", "/bin/sh -c 'echo partial' ; "+marker))
	cmd := exec.Command(nixpassBin, "build", dir, "--json")
	cmd.Env = w.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, "the stream to start", func() bool { return pgrep(marker) })
	// The temporary file exists while the stream runs.
	if ents, _ := filepath.Glob(filepath.Join(dir, ".result.tar.gz.nixpass-tmp.*")); len(ents) != 1 {
		t.Errorf("temporary files while streaming: %q", ents)
	}
	_ = cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	code := 0
	if xe, ok := err.(*exec.ExitError); ok {
		code = xe.ExitCode()
	}
	if code != 130 {
		t.Fatalf("exit %d, want 130\n%s\n%s", code, out.String(), errb.String())
	}
	waitFor(t, 10*time.Second, "the stream to be gone", func() bool { return !pgrep(marker) })
	keptImage(t, dir, good, "cancelling a stream")
}

func TestPlatformWarningOnce(t *testing.T) {
	needNix(t)
	w := newWorld(t)
	// As on an Apple-silicon Mac, where the user likely deploys to the
	// other architecture.
	other := map[string]string{"amd64": "linux/arm64", "arm64": "linux/amd64"}[runtime.GOARCH]
	w.env = append(w.env, "NIXPASS_DEPLOY_PLATFORM="+other)
	dir := w.project("app", imageNix("e2e-warn", ""))
	o := w.run("build", dir, "--json")
	if o.code != 0 || !strings.Contains(o.res.Warning, "this image is for "+hostPlatform()) || !strings.Contains(o.res.Warning, "--system") {
		t.Fatalf("first build: %v", o)
	}
	w.setNix(dir, imageNix("e2e-warn2", ""))
	o = w.run("build", dir, "--json")
	if o.code != 0 || o.res.Warning != "" {
		t.Fatalf("the platform warning came twice: %v", o)
	}
}

// arm64Busybox is the static arm64 busybox CI extracts (never installs).
func arm64Busybox(t *testing.T) string {
	t.Helper()
	p := os.Getenv("NIXPASS_CI_BUSYBOX_ARM64")
	if p == "" {
		p = "/var/lib/nixpass-ci/busybox-arm64/bin/busybox"
	}
	if _, err := os.Stat(p); err != nil {
		msg := fmt.Sprintf("no static arm64 busybox at %s: run sudo .ci/setup (apt-get download busybox-static:arm64, dpkg-deb -x), or set NIXPASS_CI_BUSYBOX_ARM64", p)
		if os.Getenv("NIXPASS_ALLOW_SKIP") == "1" {
			t.Skip(msg)
		}
		t.Fatal(msg)
	}
	if runtime.GOARCH == "amd64" {
		if b, err := os.ReadFile("/proc/sys/fs/binfmt_misc/qemu-aarch64"); err != nil || !bytes.Contains(b, []byte("enabled")) {
			msg := "no qemu-aarch64 binfmt handler: run sudo .ci/setup (apt-get install qemu-user-static binfmt-support; update-binfmts --enable qemu-aarch64)"
			if os.Getenv("NIXPASS_ALLOW_SKIP") == "1" {
				t.Skip(msg)
			}
			t.Fatal(msg)
		}
	}
	return p
}

func TestAarch64ImageThroughEmulation(t *testing.T) {
	needNix(t)
	bb := arm64Busybox(t)
	w := newWorld(t)
	// The arm64 busybox's folder goes into the store with builtins.path
	// (image.nix), so the file keeps its name; image.nix takes the
	// architecture from builtins.currentSystem, which must follow system.
	// A message of its own, so the store never has the image yet and the
	// arm64 builder really runs.
	msg := fmt.Sprintf("hello arm64 %d", time.Now().UnixNano())
	dir := w.project("arm app", fmt.Sprintf("import ./image.nix { busybox = %s; tag = \"e2e-arm64\"; message = %q; }\n", bb, msg))
	if o := w.run("add", dir, "--system", "aarch64-linux"); o.code != 0 {
		t.Fatalf("add: %v", o)
	}
	o := w.run("build", dir, "--json")
	if o.code != 0 || o.res.Platform != "linux/arm64" || o.res.Image != "offline:e2e-arm64" {
		t.Fatalf("build: %v", o)
	}
	if !strings.Contains(o.stderr, "building '/nix/store/") {
		t.Errorf("nothing was built (the arm64 builder did not run): %v", o)
	}
	a := readArchive(t, filepath.Join(dir, "result.tar.gz"))
	if a.config.Architecture != "arm64" || a.config.OS != "linux" {
		t.Errorf("image config says %+v, want linux/arm64", a.config)
	}
	o = w.run("list", "--json")
	if !strings.Contains(o.stdout, `"system": "aarch64-linux"`) {
		t.Errorf("list does not show the system: %v", o)
	}
}

func TestAddRejectsUnknownSystem(t *testing.T) {
	w := newWorld(t)
	dir := w.project("app", imageNix("x", ""))
	o := w.run("add", dir, "--system", "arm64")
	if o.code != 1 || !strings.Contains(o.stderr, `"arm64" is not a system nixpass builds for`) {
		t.Fatalf("got %v", o)
	}
}

func TestMissingBinfmtHandlerSaysHowToEnableIt(t *testing.T) {
	needNix(t)
	w := newWorld(t)
	// A binfmt_misc folder without the handler, as on a Linux host
	// without qemu-user-static.
	w.env = append(w.env, "NIXPASS_BINFMT_DIR="+t.TempDir())
	other := map[string]string{"amd64": "aarch64-linux", "arm64": "x86_64-linux"}[runtime.GOARCH]
	dir := w.project("app", imageNix("e2e-nobinfmt", ""))
	if o := w.run("add", dir, "--system", other); o.code != 0 {
		t.Fatalf("add: %v", o)
	}
	o := w.run("build", dir, "--json")
	if o.code != 9 || o.res.Kind != builder.KindPlatform || !strings.Contains(o.res.Message, "no binfmt handler") ||
		!strings.Contains(o.res.Hint, "apt-get install qemu-user-static binfmt-support") {
		t.Fatalf("got %v", o)
	}
}

// A nixpass killed outright mid-build (no chance to cancel) never
// replaces the image: the builder only writes the temporary file, and
// only nixpass renames it. The next build removes what was left.
func TestKilledNixpassNeverReplacesTheImage(t *testing.T) {
	needNix(t)
	w := newWorld(t)
	dir := w.streamProject("app", streamNix("e2e-kill-good", ""))
	good := buildGood(t, w, dir)
	// Two seconds, with a marker no other process has: the stream ends
	// by itself after nixpass is gone.
	marker := fmt.Sprintf("sleep 2.%06d", time.Now().Nanosecond()/1000)
	w.setNix(dir, streamNix("e2e-kill", marker))
	cmd := exec.Command(nixpassBin, "build", dir, "--json")
	cmd.Env = w.env
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, "the stream to start", func() bool { return pgrep(marker) })
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	// Let the orphaned stream finish writing its temporary file.
	waitFor(t, 20*time.Second, "the stream to end", func() bool { return !pgrep(marker) })
	time.Sleep(500 * time.Millisecond)
	if got := readFile(t, filepath.Join(dir, "result.tar.gz")); !bytes.Equal(got, good) {
		t.Fatal("a build whose nixpass was killed replaced the image")
	}
	w.setNix(dir, streamNix("e2e-kill-next", ""))
	if o := w.run("build", dir, "--json"); o.code != 0 || o.res.Image != "offline-stream:e2e-kill-next" {
		t.Fatalf("next build: %v", o)
	}
	noTemps(t, dir)
}
