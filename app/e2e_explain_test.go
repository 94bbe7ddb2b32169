package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"nixpass/builder"
)

// explainKinds is the verdict each captured case must get (file name
// without the version folder and .txt).
var explainKinds = map[string]builder.Kind{
	"eval-undefined": builder.KindEval, "flake-eval-undefined": builder.KindEval, "flake-untracked": builder.KindEval,
	"missing-outside": builder.KindEval, "no-default": builder.KindConfig,
	"eval-nixpath": builder.KindEval, "eval-attr-missing": builder.KindEval,
	"build-exit": builder.KindBuild, "build-cycle": builder.KindBuild, "build-signal9": builder.KindBuild,
	"hash-mismatch-sri": builder.KindBuild, "hash-mismatch-base32": builder.KindBuild,
	"network-fetchtarball": builder.KindNetwork, "network-fetchurl": builder.KindNetwork,
	"network-refused": builder.KindNetwork, "network-flake-input": builder.KindNetwork, "network-http404": builder.KindNetwork, "network-fetchgit": builder.KindNetwork,
	"platform-system": builder.KindPlatform, "platform-kvm": builder.KindPlatform,
	"disk-full": builder.KindDiskFull, "setup-nixbld-missing": builder.KindUnavailable, "setup-socket-missing": builder.KindUnavailable,
	"setup-socket-refused": builder.KindUnavailable, "setup-socket-denied": builder.KindUnavailable,
	"setup-store-readonly":     builder.KindUnavailable,
	"setup-socket-denied-auto": builder.KindUnavailable, "setup-socket-denied-daemon": builder.KindUnavailable,
}

// TestExplainRealTexts runs the real binary's explain on every text the
// three Nix versions printed (builder/diagnose/testdata), as a file with
// --json and on standard input in the text form build prints.
func TestExplainRealTexts(t *testing.T) {
	files, err := filepath.Glob("../builder/diagnose/testdata/*/*.txt")
	// fetchGit and the real daemon's socket are captured on the host's Nix
	// only (the roots have no git and run no daemon).
	if want := 3*len(explainKinds) - 6; err != nil || len(files) < want {
		t.Fatalf("found %d captured texts, want %d (run sudo builder/diagnose/testdata/capture.sh)", len(files), want)
	}
	w := newWorld(t)
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".txt")
		want, ok := explainKinds[name]
		if !ok {
			t.Errorf("%s: no expected kind for this case", f)
			continue
		}
		t.Run(filepath.Base(filepath.Dir(f))+"/"+name, func(t *testing.T) {
			o := w.run("explain", f, "--json")
			var d struct{ Kind, Message, Hint, Drv, Position string }
			if err := json.Unmarshal([]byte(o.stdout), &d); err != nil {
				t.Fatalf("json: %v\n%v", err, o)
			}
			if builder.Kind(d.Kind) != want || o.code != want.ExitCode() || d.Message == "" || d.Hint == "" {
				t.Fatalf("got %q exit %d, want %q exit %d\n%v", d.Kind, o.code, want, want.ExitCode(), o)
			}
			if strings.HasPrefix(name, "build-") && !strings.HasPrefix(d.Drv, "/nix/store/") {
				t.Errorf("drv = %q", d.Drv)
			}
			if pos := map[string]string{"eval-undefined": "eval-undefined.nix:1:18", "eval-nixpath": "eval-nixpath.nix:1:8"}[name]; strings.HasPrefix(name, "eval-") && !strings.Contains(d.Position, pos) {
				t.Errorf("position = %q", d.Position)
			}
			// The text form, from standard input, is build's.
			in, err := os.Open(f)
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			cmd := exec.Command(nixpassBin, "explain")
			cmd.Stdin = in
			o2 := w.runCmd(cmd)
			line := "✗ " + want.Title() + ": " + strings.SplitN(d.Message, "\n", 2)[0]
			if o2.code != o.code || !strings.Contains(o2.stderr, line) || !strings.Contains(o2.stderr, "  → "+d.Hint) {
				t.Errorf("text form lacks %q and the hint\n%v", line, o2)
			}
			if strings.Contains(o2.stderr, "Nix evaluation error: Nix evaluation error") {
				t.Errorf("stutter: %s", o2.stderr)
			}
		})
	}
}

func TestExplainSignal9AndNoFailure(t *testing.T) {
	w := newWorld(t)
	dir := t.TempDir()
	killed := filepath.Join(dir, "killed.log")
	if err := os.WriteFile(killed, []byte("error: builder for '/nix/store/6i53jg3gyvrnz4h2ca1qdvsi6gbxs1hj-app.drv' failed due to signal 9 (Killed)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	o := w.run("explain", killed)
	if o.code != 3 || !strings.Contains(o.stderr, "killed by signal 9; the kernel log could not be read") ||
		!strings.Contains(o.stderr, "if memory is short") || strings.Contains(o.stderr, "recorded no OOM kill") {
		t.Errorf("signal 9 without evidence:\n%v", o)
	}
	ok := filepath.Join(dir, "ok.log")
	if err := os.WriteFile(ok, []byte("these 1 derivations will be built:\nbuilding '/nix/store/x.drv'...\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if o := w.run("explain", ok, "--json"); o.code != 0 || !strings.Contains(o.stdout, `"kind": "ok"`) {
		t.Errorf("a log without a failure:\n%v", o)
	}
	if o := w.run("explain", filepath.Join(dir, "missing.log")); o.code != 1 {
		t.Errorf("a missing file is a usage error:\n%v", o)
	}
}

// TestBuildWithoutNixFileIsUsageError: no default.nix is exit 1, names
// what was looked for and writes no history record.
func TestBuildWithoutNixFileIsUsageError(t *testing.T) {
	w := newWorld(t)
	dir := filepath.Join(w.root, "empty")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	o := w.run("build", dir)
	if o.code != 1 || !strings.Contains(o.stderr, filepath.Join(dir, "default.nix")) || !strings.Contains(o.stderr, "does not exist") {
		t.Fatalf("build without default.nix:\n%v", o)
	}
	var records []string
	_ = filepath.WalkDir(w.state, func(p string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			records = append(records, p)
		}
		return nil
	})
	for _, r := range records {
		if strings.HasSuffix(r, "history.jsonl") || strings.HasSuffix(r, ".log") || strings.Contains(r, string(filepath.Separator)+"projects"+string(filepath.Separator)) {
			t.Errorf("a usage error left a record: %s", r)
		}
	}
}
