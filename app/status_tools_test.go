package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nixpass/builder/tools"
)

// TestStatusNamesTheTools: `nixpass status` says which multipass and
// docker it would run, and where it looked when it found none.
func TestStatusNamesTheTools(t *testing.T) {
	w := newWorld(t)
	bin := filepath.Join(w.root, "install dir")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	fake := filepath.Join(bin, "multipass")
	// Any executable will do: status only asks it for `info`, which fails.
	if err := os.WriteFile(fake, []byte("#!/bin/sh\nexit 2\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	w.writeConfig("[builder]\nbackend = \"multipass\"\nmultipass = " + jsonString(fake) + "\n")
	o := w.run("status", "--json")
	var rep struct{ Tools []tools.Found }
	if err := json.Unmarshal([]byte(o.stdout), &rep); err != nil {
		t.Fatalf("status --json: %v\n%v", err, o)
	}
	if len(rep.Tools) != 2 || rep.Tools[0].Tool != "multipass" || rep.Tools[0].Path != fake || rep.Tools[1].Tool != "docker" {
		t.Fatalf("tools = %+v", rep.Tools)
	}

	w.writeConfig("[builder]\nbackend = \"multipass\"\nmultipass = \"/nowhere/multipass\"\n")
	o = w.run("status")
	if !strings.Contains(o.stdout, "multipass: /nowhere/multipass: no executable file there") {
		t.Errorf("status does not say the configured multipass is missing:\n%v", o)
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
