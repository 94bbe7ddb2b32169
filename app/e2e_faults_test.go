package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"nixpass/builder"
)

// waitForLog waits until a build log under w's state holds want.
func (w *world) waitForLog(want string, limit time.Duration) {
	w.t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		logs, _ := filepath.Glob(filepath.Join(w.state, "logs", "builds", "*", "*.log"))
		for _, l := range logs {
			if b, _ := os.ReadFile(l); strings.Contains(string(b), want) {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	w.t.Fatalf("no build log says %q after %s", want, limit)
}

// Faults in the project folder during a build get their own messages,
// not "check that the project folder is writable" (real Nix).
func TestBuildProjectFaultMessages(t *testing.T) {
	needNix(t)
	tests := []struct {
		name  string
		fault func(t *testing.T, dir string)
		kind  builder.Kind
		msg   []string
		hint  string
	}{
		{"folder renamed", func(t *testing.T, dir string) {
			if err := os.Rename(dir, dir+" moved"); err != nil {
				t.Fatal(err)
			}
		}, builder.KindUnavailable, []string{"the project folder is gone", "it was at DIR"}, "nixpass add"},
		{"folder deleted", func(t *testing.T, dir string) {
			if err := os.RemoveAll(dir); err != nil {
				t.Fatal(err)
			}
		}, builder.KindUnavailable, []string{"the project folder is gone", "it was at DIR"}, "put it back"},
		{"output is a folder", func(t *testing.T, dir string) {
			if err := os.Mkdir(filepath.Join(dir, "result.tar.gz"), 0o755); err != nil {
				t.Fatal(err)
			}
		}, builder.KindConfig, []string{"the output DIR/result.tar.gz is a folder"}, "remove or rename that folder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			dir := w.project("faulty app", imageNix(fmt.Sprintf("e2e-fault-%d", time.Now().UnixNano()), `"$bb" sleep 3`))
			cmd := w.command("build", dir, "--json")
			done := make(chan outcome, 1)
			go func() { done <- w.runCmd(cmd) }()
			// The fault happens while Nix builds: after evaluation, before
			// the copy.
			w.waitForLog("building '", 60*time.Second)
			tt.fault(t, dir)
			o := <-done
			if o.code == 0 || o.res.Kind != tt.kind {
				t.Fatalf("want kind %s, got %v", tt.kind, o)
			}
			for _, m := range tt.msg {
				if m = strings.ReplaceAll(m, "DIR", dir); !strings.Contains(o.res.Message, m) {
					t.Errorf("message %q lacks %q", o.res.Message, m)
				}
			}
			if !strings.Contains(o.res.Hint, tt.hint) || strings.Contains(o.res.Hint+o.res.Message, "writable") {
				t.Errorf("hint %q: want %q and no \"writable\"", o.res.Hint, tt.hint)
			}
		})
	}
}

// A full project disk while streaming an image is the project's disk,
// named with its free space, not the builder's store.
func TestBuildStreamProjectDiskFull(t *testing.T) {
	needNix(t)
	w := newWorld(t)
	dir := filepath.Join(w.root, "small disk")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount a small tmpfs (needs root): %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	w.streamProject("small disk", streamNix("e2e-stream-full", ""))
	if o := w.run("add", dir, "--output", "image.tar"); o.code != 0 {
		t.Fatalf("add: %v", o)
	}
	o := w.run("build", dir, "--json")
	if o.code != 5 || o.res.Kind != builder.KindDiskFull {
		t.Fatalf("want exit 5 (disk full), got %v", o)
	}
	for _, want := range []string{"the project's disk is full", "mounted at " + dir, "free of"} {
		if !strings.Contains(o.res.Message, want) {
			t.Errorf("message %q lacks %q", o.res.Message, want)
		}
	}
	if strings.Contains(o.res.Hint, "nix-collect-garbage") || !strings.Contains(o.res.Hint, "free space on that disk") {
		t.Errorf("hint %q: want the project's disk, not the store's", o.res.Hint)
	}
	noTemps(t, dir)
}
