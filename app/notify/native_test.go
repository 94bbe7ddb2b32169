package notify

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

type fakeCenter struct {
	mu      sync.Mutex
	asks    int
	answer  func(bool) // the pending Authorize callback
	posted  []string   // "id|title|log"
	postErr error
}

func (c *fakeCenter) Authorize(done func(bool)) {
	c.mu.Lock()
	c.asks++
	c.answer = done
	c.mu.Unlock()
}

func (c *fakeCenter) Post(id, title, body, log string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.postErr != nil {
		return c.postErr
	}
	c.posted = append(c.posted, id+"|"+title+"|"+log)
	return nil
}

type recordSender struct{ sent []string }

func (r *recordSender) Send(title, body string) error { return r.SendGroup("", title, body) }
func (r *recordSender) SendGroup(group, title, body string) error {
	r.sent = append(r.sent, group+"|"+title)
	return nil
}

// TestNativeAuthorisation (D2): the first notification asks once; what is
// sent while the user decides waits, then goes natively (granted) or
// through beeep (refused); later ones follow the answer; a post the center
// refuses falls back; the click opens the project's build log.
func TestNativeAuthorisation(t *testing.T) {
	g1, g2 := GroupID("/p/app"), GroupID("builder")
	logFor := func(group string) string {
		if d := ProjectOfGroup(group); d != "" {
			return "/logs/" + filepath.Base(d) + ".log"
		}
		return ""
	}
	for _, tc := range []struct {
		name       string
		grant      bool
		postErr    error
		wantPosted []string
		wantFell   []string
	}{
		{"granted", true, nil,
			[]string{g1 + "|a|/logs/app.log", g2 + "|b|", g1 + "|c|/logs/app.log"}, nil},
		{"refused", false, nil, nil, []string{g1 + "|a", g2 + "|b", g1 + "|c"}},
		{"granted, posting fails", true, errors.New("UNErrorDomain 1"), nil, []string{g1 + "|a", g2 + "|b", g1 + "|c"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &fakeCenter{postErr: tc.postErr}
			fb := &recordSender{}
			n := &Native{Center: c, Fallback: fb, LogFor: logFor}
			_ = n.SendGroup(g1, "a", "")
			_ = n.SendGroup(g2, "b", "")
			if c.asks != 1 || len(c.posted) != 0 || len(fb.sent) != 0 {
				t.Fatalf("before the answer: %d asks, posted %q, fell back %q; want 1 ask and nothing sent", c.asks, c.posted, fb.sent)
			}
			c.answer(tc.grant)
			_ = n.SendGroup(g1, "c", "")
			if c.asks != 1 {
				t.Errorf("asked %d times, want once", c.asks)
			}
			if !equal(c.posted, tc.wantPosted) || !equal(fb.sent, tc.wantFell) {
				t.Errorf("posted %q, fell back %q; want %q, %q", c.posted, fb.sent, tc.wantPosted, tc.wantFell)
			}
		})
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestBundled(t *testing.T) {
	for exe, want := range map[string]bool{
		"/Applications/nixpass.app/Contents/MacOS/nixpass": true,
		"/Users/ana/src/nixpass/build/nixpass-darwin":      false,
		"/usr/local/bin/nixpass":                           false,
	} {
		if got := Bundled(exe); got != want {
			t.Errorf("Bundled(%q) = %v, want %v", exe, got, want)
		}
	}
}

// TestClickTarget (D2): a click opens the build log it names only when it
// is a file in the log folder.
func TestClickTarget(t *testing.T) {
	logs := t.TempDir()
	log := filepath.Join(logs, "builds", "app-1234", "20260101-120000.000.log")
	if err := os.MkdirAll(filepath.Dir(log), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(log, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(t.TempDir(), "evil.log")
	os.WriteFile(outside, []byte("x"), 0o644)
	for _, tc := range []struct{ log, want string }{
		{log, log},
		{filepath.Join(logs, "builds", "gone.log"), ""},
		{outside, ""},
		{filepath.Join(logs, "..", filepath.Base(filepath.Dir(outside)), "evil.log"), ""},
		{logs, ""},
		{"", ""},
	} {
		if got := ClickTarget(tc.log, logs); got != tc.want {
			t.Errorf("ClickTarget(%q) = %q, want %q", tc.log, got, tc.want)
		}
	}
	if got := ProjectOfGroup(GroupID("/p/app")); got != "/p/app" {
		t.Errorf("ProjectOfGroup = %q", got)
	}
	if got := ProjectOfGroup(GroupID("builder")); got != "" {
		t.Errorf("ProjectOfGroup(builder) = %q, want none", got)
	}
}

func TestChoose(t *testing.T) {
	fb := &recordSender{}
	c := &fakeCenter{}
	bundled := "/Applications/nixpass.app/Contents/MacOS/nixpass"
	if _, ok := Choose(c, bundled, fb, nil).(*Native); !ok {
		t.Error("bundled with a center: not the native sender")
	}
	if got := Choose(c, "/usr/local/bin/nixpass", fb, nil); got != fb {
		t.Error("not bundled: not the fallback")
	}
	if got := Choose(nil, bundled, fb, nil); got != fb {
		t.Error("no center (no cgo): not the fallback")
	}
}
