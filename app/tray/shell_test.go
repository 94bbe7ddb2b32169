package tray

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// optCore is a Core with the optional parts; the embedded nil Core
// panics if the code under test calls anything else.
type optCore struct {
	Core
	mp        string
	refreshed chan struct{}
}

func (c *optCore) MultipassCommand() string { return c.mp }
func (c *optCore) RefreshStartAtLogin()     { c.refreshed <- struct{}{} }

// TestShellUsesConfiguredMultipass (m7): "Open shell" runs the Multipass
// the config names, found as the builds find it, and says what to do when
// it is missing.
func TestShellUsesConfiguredMultipass(t *testing.T) {
	dir := t.TempDir()
	custom := filepath.Join(dir, "my multipass")
	if err := os.WriteFile(custom, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	onPath := filepath.Join(dir, "bin")
	if err := os.MkdirAll(onPath, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(onPath, "multipass"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", onPath)
	t.Setenv("HOME", dir)
	for _, tc := range []struct {
		name, mp, want, errHas string
	}{
		{"configured path", custom, custom, ""},
		{"default", "", filepath.Join(onPath, "multipass"), ""},
		{"configured name", "multipass", filepath.Join(onPath, "multipass"), ""},
		{"configured but missing", filepath.Join(dir, "nope"), "", "install Multipass"},
	} {
		got, err := shellMultipass(&optCore{mp: tc.mp})
		if tc.errHas != "" {
			if err == nil || !strings.Contains(err.Error(), tc.errHas) {
				t.Errorf("%s: %q, %v; want an error with %q", tc.name, got, err, tc.errHas)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: shellMultipass = %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
}

// TestMenuOpenRefreshesLogin (m8, M3): opening the menu re-reads "Start at
// login" without blocking the menu loop.
func TestMenuOpenRefreshesLogin(t *testing.T) {
	c := &optCore{refreshed: make(chan struct{})}
	start := time.Now()
	refreshLogin(c)
	if d := time.Since(start); d > 50*time.Millisecond {
		t.Errorf("refreshLogin blocked for %s", d)
	}
	select {
	case <-c.refreshed:
	case <-time.After(2 * time.Second):
		t.Fatal("the login state was not re-read")
	}
}
