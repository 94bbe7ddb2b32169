package build

import (
	"strings"
	"testing"

	"nixpass/builder"
)

func TestScriptUploadLines(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		want  ScriptUpload
	}{
		{"none", nil, ScriptUpload{}},
		{"uploaded", []string{"upload-start", "upload-deps", "uploaded 3 123456"}, ScriptUpload{Ran: true, Deps: true, Paths: 3, Bytes: 123456}},
		{"failed", []string{"upload-start", "upload-failed 1", "upload-err error: cannot open", "upload-err   Permission denied"},
			ScriptUpload{Ran: true, Failed: true, Status: 1, Output: "error: cannot open\n  Permission denied\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got ScriptUpload
			for _, l := range tt.lines {
				key, val, _ := strings.Cut(l, " ")
				got.line(key, val)
			}
			got.Duration, got.started = 0, tt.want.started
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// fakeScriptUploader records what scriptUpload hands it.
type fakeScriptUploader struct{ got *ScriptUpload }

func (fakeScriptUploader) Key() string                         { return "file:///c" }
func (fakeScriptUploader) ScriptArgs(uploaded string) []string { return []string{"--upload"} }
func (f fakeScriptUploader) ScriptResult(rep ScriptUpload) (*builder.CacheUpload, string, error) {
	*f.got = rep
	return &builder.CacheUpload{URL: "file:///c"}, "file:///c", nil
}

// A script that did not upload is right only when the upload is
// recorded already; otherwise it is a failed upload.
func TestScriptUploadNotRun(t *testing.T) {
	tests := []struct {
		name       string
		done       []string
		wantFailed bool
	}{
		{"recorded", []string{"file:///c"}, false},
		{"recorded elsewhere", []string{"file:///other"}, true},
		{"nothing recorded", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got ScriptUpload
			r := &run{report: scriptReport{storePath: "/nix/store/x-image"}}
			if _, _, err := r.scriptUpload(fakeScriptUploader{&got}, tt.done); err != nil {
				t.Fatal(err)
			}
			if got.Failed != tt.wantFailed || tt.wantFailed && !strings.Contains(got.Output, "did not upload /nix/store/x-image") {
				t.Errorf("report %+v, want failed %v", got, tt.wantFailed)
			}
		})
	}
}
