package multipass_test

import (
	"os"
	"path/filepath"
	"testing"

	"nixpass/builder/multipass"
	"nixpass/builder/multipass/multipasstest"
)

// These tests hold the Client to the CLI contract by running it against
// the fake multipass (testdata/fake-multipass), which follows the same
// contract.

var builderVM = multipasstest.FakeInstance{Name: "builder", State: "Running", CPUs: 4, Memory: 8 << 30, Disk: 40 << 30}

func withState(in multipasstest.FakeInstance, state string) multipasstest.FakeInstance {
	in.State = state
	return in
}

// fake is a Client wired to the fake multipass and its world.
type fake struct {
	*multipass.Client
	statePath, logPath string
}

// newFake builds the fake, gives it a world of instances, and sets env
// (KEY=VALUE failure injections) for the rest of the test.
func newFake(t *testing.T, env []string, instances ...multipasstest.FakeInstance) *fake {
	t.Helper()
	bin := multipasstest.Build(t)
	wenv, statePath, logPath := multipasstest.NewWorld(t, instances...)
	multipasstest.Setenv(t, append(wenv, env...))
	return &fake{Client: &multipass.Client{Bin: bin}, statePath: statePath, logPath: logPath}
}

func (f *fake) calls(t *testing.T) [][]string { return multipasstest.Calls(t, f.logPath) }

// last is the argv of the latest invocation.
func (f *fake) last(t *testing.T) []string {
	t.Helper()
	c := f.calls(t)
	if len(c) == 0 {
		t.Fatal("the fake multipass was never run")
	}
	return c[len(c)-1]
}

func (f *fake) world(t *testing.T) map[string]multipasstest.FakeInstance {
	return multipasstest.ReadWorld(t, f.statePath)
}

// stubOnPath puts an executable shell script called name first on PATH.
func stubOnPath(t *testing.T, name, script string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+script+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
}
