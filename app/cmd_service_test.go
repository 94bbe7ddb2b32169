package main

import (
	"reflect"
	"strings"
	"testing"

	"nixpass/builder/agent"
)

// TestAgentSpecIgnoresCallersPATH (N2): the agent file depends on the
// binary and the config in use, not on the shell that installs it, so
// `nixpass service install` from Terminal renders the bytes the app's
// "Start at login" rendered, and nothing is reloaded.
func TestAgentSpecIgnoresCallersPATH(t *testing.T) {
	c := &cli{configPath: "/etc/nixpass.toml"}
	t.Setenv("PATH", "/usr/bin:/bin")
	fromApp, err := c.agentSpec()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", "/Users/ana/.cargo/bin:/Users/ana/go/bin:/usr/bin:/bin")
	fromTerminal, err := c.agentSpec()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromApp, fromTerminal) {
		t.Errorf("the spec depends on the caller's PATH:\napp      %+v\nterminal %+v", fromApp, fromTerminal)
	}
	if strings.Contains(fromTerminal.PATH, ".cargo") {
		t.Errorf("PATH %q holds the caller's folders", fromTerminal.PATH)
	}
	a, _ := agent.RenderLaunchd(fromApp)
	b, _ := agent.RenderLaunchd(fromTerminal)
	if string(a) != string(b) {
		t.Error("the rendered plists differ")
	}
	if want := []string{"--config", "/etc/nixpass.toml", "app"}; !reflect.DeepEqual(fromApp.Args, want) {
		t.Errorf("Args = %q, want %q", fromApp.Args, want)
	}
}
