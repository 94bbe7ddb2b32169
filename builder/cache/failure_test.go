package cache

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nixpass/builder"
)

// TestClassifyRealTexts applies the rule table to what nix copy printed
// on Nix 2.8 and 2.34 (testdata/nix, recorded by testdata/capture.sh).
func TestClassifyRealTexts(t *testing.T) {
	tests := []struct {
		file, rule, msg string
	}{
		{"unreachable", "unreachable", "unable to download 'http://127.0.0.1:1/nix-cache-info'"},
		{"refused", "refused", "HTTP error 403"},
		{"permission", "permission", "Permission denied"},
		{"not-signed", "not signed", "cannot add path"},
		{"key-missing", "key", "No such file or directory"},
		{"key-corrupt", "key", "corrupt"},
	}
	hints := map[string]string{}
	for _, r := range rules {
		hints[r.name] = r.hint
	}
	for _, v := range []string{"2.8", "2.34"} {
		for _, tt := range tests {
			t.Run(v+"/"+tt.file, func(t *testing.T) {
				b, err := os.ReadFile(filepath.Join("testdata", "nix", v+"-"+tt.file+".txt"))
				if err != nil {
					t.Fatal(err)
				}
				text := string(b)
				if i := strings.LastIndex(text, "exit "); i >= 0 {
					text = text[:i] // the capture's own exit status line
				}
				cause := errors.New("exit status 1")
				e := Classify("http://ana:pw@cache.example/?secret-key=/k", text, cause)
				if e.Kind != builder.KindCache || e.Kind.ExitCode() != 12 {
					t.Errorf("kind %s exit %d, want cache and 12", e.Kind, e.Kind.ExitCode())
				}
				if e.Hint != hints[tt.rule] {
					t.Errorf("hint = %q\nwant the %s rule's %q", e.Hint, tt.rule, hints[tt.rule])
				}
				if !strings.Contains(e.Message, tt.msg) || !strings.HasPrefix(e.Message, "upload to http://cache.example/: ") {
					t.Errorf("message = %q, want the public URL and Nix's error containing %q", e.Message, tt.msg)
				}
				if !errors.Is(e, cause) {
					t.Errorf("error does not wrap its cause")
				}
			})
		}
	}
}

func TestClassifyUnknown(t *testing.T) {
	e := Classify("file:///c", "copying 1 paths...\nerror: something new\n", nil)
	if e.Message != "upload to file:///c: something new" || !strings.Contains(e.Hint, "image itself is good") {
		t.Errorf("got %q / %q, want Nix's error and the general hint", e.Message, e.Hint)
	}
}

func TestPublicURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://ana:pw@cache.example.com/x?secret-key=/k&compression=zstd": "https://cache.example.com/x",
		"file:///srv/cache?secret-key=/k":                                   "file:///srv/cache",
		"s3://bucket?region=eu-west-1&profile=team":                         "s3://bucket",
		"ssh-ng://ana@box": "ssh-ng://box",
	} {
		if got := PublicURL(in); got != want {
			t.Errorf("PublicURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestReportJSON: the result's "cache" object has exactly the issue's
// fields, error only on failure.
func TestReportJSON(t *testing.T) {
	for _, tt := range []struct {
		r    Report
		want string
	}{
		{Report{URL: "https://c.example/", Paths: 2, Bytes: 10, DurationMS: 5}, `{"url":"https://c.example/","paths":2,"bytes":10,"duration_ms":5}`},
		{Report{URL: "file:///c", Error: "upload to file:///c: Permission denied"}, `{"url":"file:///c","paths":0,"bytes":0,"duration_ms":0,"error":"upload to file:///c: Permission denied"}`},
	} {
		b, _ := json.Marshal(builder.Result{Cache: &tt.r})
		var got map[string]json.RawMessage
		json.Unmarshal(b, &got)
		if string(got["cache"]) != tt.want {
			t.Errorf("cache = %s, want %s", got["cache"], tt.want)
		}
	}
	b, _ := json.Marshal(builder.Result{})
	if strings.Contains(string(b), `"cache"`) {
		t.Errorf("a result without an upload has a cache object: %s", b)
	}
}
