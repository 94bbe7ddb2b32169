package config

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// TestValuesStartingWithDashAreRefused: attr, flake and file values that
// start with "-" would reach Nix as options (--flake=--impure, a file
// named -E); config load names the key and its line, and add refuses them.
func TestValuesStartingWithDashAreRefused(t *testing.T) {
	tests := []struct {
		name, text string
		want       wantErr
	}{
		{"flake", "[[project]]\npath = \"/a\"\nflake = \"--impure\"\n",
			wantErr{3, 9, `[[project]] #1 key "flake"`, `"--impure" starts with "-"`}},
		{"file", "[[project]]\npath = \"/a\"\nfile = \"-E\"\n",
			wantErr{3, 8, `[[project]] #1 key "file"`, `"-E" starts with "-"`}},
		{"attr", "[[project]]\npath = \"/a\"\nattr = \"-E\"\n",
			wantErr{3, 8, `[[project]] #1 key "attr"`, `"-E" starts with "-"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErrs(t, parseErr(t, tt.text), tt.want)
		})
	}
	for _, p := range []Project{
		{Path: "/a", Flake: "--impure"},
		{Path: "/a", File: "-E"},
		{Path: "/a", Attr: "--expr"},
	} {
		path := filepath.Join(t.TempDir(), "config.toml")
		err := AddProject(path, p)
		var pe *ParseError
		if err == nil || !errors.As(err, &pe) || !strings.Contains(pe.Msg, `starts with "-"`) {
			t.Errorf("add %+v: got %v, want a refusal of the leading dash", p, err)
		}
	}
	// A file in the project written ./-E is a file, and fine.
	if err := (Project{Path: "/a", File: "./-E"}).Validate(); err != nil {
		t.Errorf("file ./-E refused: %v", err)
	}
}
