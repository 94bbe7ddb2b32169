package vm

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nixpass/builder"
	"nixpass/builder/multipass/multipasstest"
)

func TestUploadGuestURL(t *testing.T) {
	tests := []struct{ url, guest, want string }{
		{"file:///Users/ana/cache", "/Users/ana/cache", "file:///Users/ana/cache"},
		{"file:///Volumes/team/cache?compression=xz", "/home/ubuntu/nixpass-mounts/cache-1a2b", "file:///home/ubuntu/nixpass-mounts/cache-1a2b?compression=xz"},
		{"https://cache.example.com/up", "/ignored", "https://cache.example.com/up"},
	}
	for _, tt := range tests {
		if got := (Upload{URL: tt.url}).guestURL(tt.guest); got != tt.want {
			t.Errorf("guestURL(%q, %q) = %q, want %q", tt.url, tt.guest, got, tt.want)
		}
	}
}

// A cache folder inside a folder the VM mounts already is used where the
// VM sees it, with no mount and no other Multipass call.
func TestPrepareUploadInsideAMount(t *testing.T) {
	team := t.TempDir()
	in := vmInstance
	in.Mounts = map[string]string{"/home/ubuntu/team": team}
	w := newVMWorld(t, nil, in)
	w.vm.Upload = Upload{URL: "file://" + filepath.Join(team, "cache") + "?compression=xz", SecretKeyFile: writeKey(t, "team-1:c2VjcmV0")}
	inst, err := w.vm.Client.Info(context.Background(), "nixpass")
	if err != nil {
		t.Fatal(err)
	}
	before := len(multipasstest.Calls(t, w.logPath))
	if err := w.vm.prepareUpload(context.Background(), inst, nil); err != nil {
		t.Fatal(err)
	}
	if calls := multipasstest.Calls(t, w.logPath)[before:]; len(calls) != 0 {
		t.Errorf("preparing took Multipass calls %q, want none", calls)
	}
	if want := "file:///home/ubuntu/team/cache?compression=xz"; w.vm.upURL != want {
		t.Errorf("the VM uploads to %q, want %q", w.vm.upURL, want)
	}
}

func writeKey(t *testing.T, key string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "team-1.secret")
	if err := os.WriteFile(p, []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// The script's standard input before the lifeline: the target with the
// VM's key file as secret-key (binary caches) or signing first (ssh
// stores), then the key; nothing at all without --upload.
func TestUploadHeader(t *testing.T) {
	const key = "team-1:c2VjcmV0LWtleS1ieXRlcw=="
	v := &Machine{GuestScriptDir: "/home/ubuntu/.cache/nixpass", Upload: Upload{SecretKeyFile: writeKey(t, key)}}
	keyFile := "/home/ubuntu/.cache/nixpass/run/t0k.pid.key"
	tests := []struct {
		url, wantMode string
		wantQuery     url.Values
	}{
		{"https://cache.example.com/up", "copy", url.Values{"secret-key": {keyFile}, "compression": {"zstd"}}},
		{"file:///srv/cache?compression=xz", "copy", url.Values{"secret-key": {keyFile}, "compression": {"xz"}}},
		{"ssh-ng://ana@cache.example.com", "sign", url.Values{}},
	}
	for _, tt := range tests {
		v.Upload.URL, v.upURL = tt.url, tt.url
		h, err := v.uploadHeader("t0k", []string{"build", "--upload"})
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(h), "\n")
		if len(lines) != 5 || lines[4] != "" {
			t.Fatalf("header %q, want four lines", h)
		}
		target, err := url.Parse(lines[0])
		if err != nil || !strings.HasPrefix(lines[0], strings.SplitN(tt.url, "?", 2)[0]) || target.Query().Encode() != tt.wantQuery.Encode() {
			t.Errorf("%s: target %q, want its query %v", tt.url, lines[0], tt.wantQuery)
		}
		if lines[1] != keyFile || lines[2] != tt.wantMode || lines[3] != key {
			t.Errorf("%s: header %q, want key file %s, mode %s, then the key", tt.url, h, keyFile, tt.wantMode)
		}
	}
	if h, err := v.uploadHeader("t0k", []string{"build"}); h != nil || err != nil {
		t.Errorf("without --upload: %q, %v, want nothing", h, err)
	}
	v.Upload.SecretKeyFile = filepath.Join(t.TempDir(), "missing")
	_, err := v.uploadHeader("t0k", []string{"build", "--upload"})
	var be *builder.Error
	if !errors.As(err, &be) || be.Kind != builder.KindConfig || !strings.Contains(be.Hint, "nixpass cache key NAME") {
		t.Errorf("missing key file: %v, want a config error with the hint", err)
	}
}
