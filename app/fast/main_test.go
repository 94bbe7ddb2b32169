package main

import (
	"os/exec"
	"strings"
	"testing"
)

func TestBuildArgs(t *testing.T) {
	for _, tt := range []struct {
		args   []string
		dir    string
		asJSON bool
		ok     bool
	}{
		{nil, ".", false, true},
		{[]string{"proj"}, "proj", false, true},
		{[]string{"--json"}, ".", true, true},
		{[]string{"proj", "--json"}, "proj", true, true},
		{[]string{"-json", "proj"}, "proj", true, true},
		// Everything else is the full nixpass's to parse and answer.
		{[]string{"a", "b"}, "", false, false},
		{[]string{"--json", "--json"}, "", false, false},
		{[]string{"--json=false"}, "", false, false},
		{[]string{"-h"}, "", false, false},
		{[]string{"--", "proj"}, "", false, false},
		{[]string{""}, "", false, false},
	} {
		dir, asJSON, ok := buildArgs(tt.args)
		if ok != tt.ok || (ok && (dir != tt.dir || asJSON != tt.asJSON)) {
			t.Errorf("buildArgs(%q) = %q, %v, %v; want %q, %v, %v", tt.args, dir, asJSON, ok, tt.dir, tt.asJSON, tt.ok)
		}
	}
}

// TestFrontLinksNoHeavyPackage: the front's start-up is what it links
// (docs/performance.md); none of the parts it hands over may creep in.
func TestFrontLinksNoHeavyPackage(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 50 {
		t.Fatalf("go list -deps gave %d packages: %q", len(deps), deps)
	}
	heavy := []string{"fyne.io/systray", "github.com/godbus/dbus", "github.com/gen2brain/beeep", "github.com/kardianos/service",
		"github.com/go-git/", "github.com/fsnotify/", "golang.org/x/crypto/ssh", "github.com/schollz/progressbar",
		"github.com/google/go-containerregistry/pkg/v1/remote", "nixpass/builder/core\n", "nixpass/builder/machine/vm",
		"nixpass/builder/registry\n", "nixpass/builder/watch", "nixpass/app/tray", "nixpass/app/notify"}
	all := strings.Join(deps, "\n") + "\n"
	for _, h := range heavy {
		if strings.Contains(all, h) {
			t.Errorf("the front links %s", strings.TrimSpace(h))
		}
	}
	if !strings.Contains(all, "nixpass/builder/core/fast\n") {
		t.Errorf("the list lacks core/fast: the check reads the wrong thing")
	}
}
