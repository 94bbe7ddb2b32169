package config

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The project keys of issue 9: system and mounts.

func TestValidateSystemAndMounts(t *testing.T) {
	tests := []struct {
		name string
		p    Project
		msg  string // "" means valid
	}{
		{"x86_64", Project{Path: "/a", System: "x86_64-linux"}, ""},
		{"aarch64", Project{Path: "/a", System: "aarch64-linux"}, ""},
		{"darwin", Project{Path: "/a", System: "aarch64-darwin"}, `"aarch64-darwin" is not a system nixpass builds for`},
		{"docker spelling", Project{Path: "/a", System: "linux/arm64"}, `use "x86_64-linux" or "aarch64-linux"`},
		{"sibling and absolute", Project{Path: "/src/app", Mounts: []string{"../lib", "/opt/nix lib"}}, ""},
		{"empty mount", Project{Path: "/a", Mounts: []string{" "}}, "element 1 is empty"},
		{"mount holds project", Project{Path: "/src/app", Mounts: []string{".."}}, "holds the project folder"},
		{"mount is project", Project{Path: "/src/app", Mounts: []string{"."}}, "holds the project folder"},
		{"mount inside project", Project{Path: "/src/app", Mounts: []string{"nix"}}, "inside the project folder"},
		{"mount twice", Project{Path: "/src/app", Mounts: []string{"../lib", "/src/lib/"}}, "same folder as element 1"},
		{"mount not UTF-8", Project{Path: "/a", Mounts: []string{"/b\xff"}}, "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			c.Projects = []Project{tt.p}
			err := c.Validate()
			if tt.msg == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want valid", err)
				}
				return
			}
			var errs Errors
			if !errors.As(err, &errs) || len(errs) != 1 || !strings.Contains(errs[0].Msg, tt.msg) ||
				(errs[0].Key != `[[project]] #1 key "system"` && errs[0].Key != `[[project]] #1 key "mounts"`) {
				t.Fatalf("Validate() = %v, want one problem of system/mounts containing %q", err, tt.msg)
			}
		})
	}
}

func TestParseSystemAndMountsPositions(t *testing.T) {
	checkErrs(t, parseErr(t, "[[project]]\npath = \"/a\"\nsystem = \"arm64\"\n"),
		wantErr{3, 10, `[[project]] #1 key "system"`, `"arm64" is not a system`})
	checkErrs(t, parseErr(t, "[[project]]\npath = \"/a\"\nmounts = \"../lib\"\n"),
		wantErr{3, 10, `[[project]] #1 key "mounts"`, "want a list of strings"})
	checkErrs(t, parseErr(t, "[[project]]\npath = \"/a\"\nsytem = \"x86_64-linux\"\n"),
		wantErr{3, 1, `[[project]] #1 key "sytem"`, `did you mean "system"?`})
}

func TestAddProjectKeepsSystemAndMounts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	p := Project{Path: "/src/my app", System: "x86_64-linux", Mounts: []string{"../lib", `/opt/"q"`}}
	if err := AddProject(path, p); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := Parse(f, path)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := c.Project("/src/my app")
	if !ok || got.System != "x86_64-linux" || !slices.Equal(got.Mounts, p.Mounts) {
		t.Fatalf("read back %+v", got)
	}
	if want := []string{"/src/lib", `/opt/"q"`}; !slices.Equal(got.MountPaths(), want) {
		t.Errorf("MountPaths() = %q, want %q", got.MountPaths(), want)
	}
}
