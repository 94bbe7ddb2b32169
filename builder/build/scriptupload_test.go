package build

import (
	"strings"
	"testing"
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
