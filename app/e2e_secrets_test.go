package main

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"nixpass/app/notify"
	"nixpass/builder"
)

const planted = "TOKEN-e2e-planted-9931"

// recordSender keeps what a notification would show.
type recordSender struct{ titles, bodies []string }

func (r *recordSender) Send(title, body string) error {
	r.titles, r.bodies = append(r.titles, title), append(r.bodies, body)
	return nil
}

// TestPlantedTokenNeverShownOrStored builds for real a project whose Nix
// fetches from a URL carrying a token (Nix prints "unable to download
// 'URL'"), with the token in args too, as root and as a non-root user
// through nix-daemon, and scans everything nixpass shows or stores for
// it: build's JSON and text, the stored log, history and records, the
// app's JSON events, list, status, explain and the notification text.
// It also checks the folders and files nixpass made are private, and that
// an older, looser state folder is tightened once, with a notice.
func TestPlantedTokenNeverShownOrStored(t *testing.T) {
	for _, e := range []*nixEnv{hostEnv, userEnv} {
		t.Run(e.name, func(t *testing.T) {
			w := newWorldIn(t, e)
			w.env = append(w.env, "NIX_CONFIG=substituters =\ndownload-attempts = 1\ntarball-ttl = 0\n")
			url := "http://oauth2:" + planted + "@nixpass-unresolvable.invalid/src.tar.gz"
			dir := w.project("secret", `{ src ? "" }: import (builtins.fetchTarball "`+url+`") { }`+"\n")
			// An older version's state: readable to others.
			old := filepath.Join(w.state, "history.jsonl")
			if err := os.WriteFile(old, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(old, 0o644); err != nil {
				t.Fatal(err)
			}
			w.own(w.state)
			w.writeConfig("[builder]\nbackend = \"local\"\n\n[[project]]\npath = \"" + dir + "\"\nargs = [\"--argstr\", \"src\", \"https://x-access-token:" + planted + "@github.com/o/r\"]\n")

			var shown []string
			// The app first: its JSON events for a build of the project, and its
			// log saying it made the old state private.
			h := w.startHeadlessIn()
			h.waitFor("the build to finish", func() bool { return h.count("BuildFinished", "") > 0 })
			_ = h.cmd.Process.Signal(os.Interrupt)
			select {
			case <-h.done:
			case <-time.After(10 * time.Second):
				t.Error("the app did not stop")
			}
			h.mu.Lock()
			for _, ev := range h.events {
				shown = append(shown, fmtAny(ev))
			}
			h.mu.Unlock()
			shown = append(shown, h.stderr.String())
			if !strings.Contains(h.stderr.String(), "history.jsonl: 0644 → 0600") {
				t.Errorf("the app did not log that it made the old state private:\n%s", h.stderr.String())
			}
			o := w.run("build", dir, "--json")
			if o.res.Kind != builder.KindNetwork {
				t.Fatalf("want a network failure, got %v", o)
			}
			if !strings.Contains(o.res.Message, "***@nixpass-unresolvable.invalid") {
				t.Errorf("message %q does not show the masked URL", o.res.Message)
			}
			if !strings.Contains(o.stderr, "carries a user name or token in the URL") || !strings.Contains(o.stderr, "netrc") {
				t.Errorf("config load did not warn about the URL with user info:\n%s", o.stderr)
			}
			shown = append(shown, o.stdout, o.stderr)
			text := w.run("build", dir)
			if strings.Contains(o.stderr+text.stderr, "private (0700") {
				t.Errorf("the state was tightened twice:\n%s", text.stderr)
			}
			shown = append(shown, text.stdout, text.stderr)
			for _, args := range [][]string{{"list"}, {"list", "--json"}, {"status"}, {"status", "--json"}, {"explain", o.res.Log, "--json"}, {"logs", dir}} {
				r := w.run(args...)
				shown = append(shown, r.stdout, r.stderr)
			}
			if l := w.run("list", "--json"); !strings.Contains(l.stdout, "https://***@github.com/o/r") {
				t.Errorf("list --json does not show the masked args:\n%s", l.stdout)
			}

			// The notification of the result.
			s := &recordSender{}
			if m, ok := (&notify.Policy{}).Decide(builder.BuildFinished{Result: o.res}); ok {
				if err := notify.Deliver(s, m); err != nil {
					t.Fatal(err)
				}
			}
			if len(s.bodies) == 0 {
				t.Error("no notification for the failure")
			}
			shown = append(shown, s.titles...)
			shown = append(shown, s.bodies...)

			for i, text := range shown {
				if strings.Contains(text, planted) {
					t.Errorf("output %d shows the token:\n%s", i, text)
				}
			}
			// Everything stored: the log, history, records.
			err := filepath.WalkDir(w.state, func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				info, _ := d.Info()
				mode := info.Mode().Perm()
				switch {
				case d.IsDir() && mode != 0o700:
					t.Errorf("%s: folder mode %04o, want 0700", p, mode)
				case d.Type().IsRegular() && mode&0o077 != 0:
					t.Errorf("%s: file mode %04o, readable to others", p, mode)
				}
				if d.Type().IsRegular() {
					if b, _ := os.ReadFile(p); bytes.Contains(b, []byte(planted)) {
						t.Errorf("%s stores the token", p)
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if b := readFile(t, o.res.Log); !bytes.Contains(b, []byte("***@nixpass-unresolvable.invalid")) {
				t.Errorf("the stored log lacks Nix's masked download line:\n%s", b)
			}
		})
	}
}

func fmtAny(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// startHeadlessIn is startHeadless run as the world's user.
func (w *world) startHeadlessIn() *headless {
	w.t.Helper()
	h := &headless{t: w.t, done: make(chan error, 1)}
	h.cmd = w.command("app", "--headless", "--json")
	h.cmd.Stderr = &h.stderr
	out, err := h.cmd.StdoutPipe()
	if err != nil {
		w.t.Fatal(err)
	}
	if err := h.cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	go h.read(out)
	w.t.Cleanup(func() { _ = h.cmd.Process.Kill() })
	return h
}
