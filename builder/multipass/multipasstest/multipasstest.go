// Package multipasstest builds and sets up the fake multipass CLI
// (builder/multipass/testdata/fake-multipass) for tests in any package.
package multipasstest

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

var (
	once    sync.Once
	binPath string
	binErr  error
)

// Build compiles the fake once per test process and returns its path.
func Build(t testing.TB) string {
	t.Helper()
	once.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		src := filepath.Join(filepath.Dir(file), "..", "testdata", "fake-multipass")
		dir, err := os.MkdirTemp("", "fake-multipass-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "multipass")
		out, err := exec.Command("go", "build", "-o", binPath, src).CombinedOutput()
		if err != nil {
			binErr = &buildError{err: err, out: string(out)}
		}
	})
	if binErr != nil {
		t.Fatalf("build fake multipass: %v", binErr)
	}
	return binPath
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + ": " + e.out }

// FakeInstance is an instance in the fake's initial world.
type FakeInstance struct {
	Name  string `json:"name"`
	State string `json:"state"`
	CPUs  int    `json:"cpus"`
	// Memory and Disk are bytes.
	Memory int64 `json:"memory"`
	Disk   int64 `json:"disk"`
	// Mounts maps guest targets to host sources.
	Mounts map[string]string `json:"mounts"`
}

// NewWorld writes the fake's state with instances and returns the
// environment variables that point the fake at it.
func NewWorld(t testing.TB, instances ...FakeInstance) (env []string, statePath, logPath string) {
	t.Helper()
	dir := t.TempDir()
	statePath, logPath = filepath.Join(dir, "state.json"), filepath.Join(dir, "calls.jsonl")
	w := map[string]map[string]FakeInstance{"instances": {}}
	for _, in := range instances {
		if in.Mounts == nil {
			in.Mounts = map[string]string{}
		}
		w["instances"][in.Name] = in
	}
	b, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(statePath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return []string{"FAKE_MULTIPASS_STATE=" + statePath, "FAKE_MULTIPASS_LOG=" + logPath}, statePath, logPath
}

// Setenv sets KEY=VALUE pairs for the rest of the test.
func Setenv(t *testing.T, env []string) {
	t.Helper()
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

// Calls returns the argv of every invocation of the fake, in order.
func Calls(t testing.TB, logPath string) [][]string {
	t.Helper()
	f, err := os.Open(logPath)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var calls [][]string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<22)
	for sc.Scan() {
		var argv []string
		if err := json.Unmarshal(sc.Bytes(), &argv); err != nil {
			t.Fatal(err)
		}
		calls = append(calls, argv)
	}
	return calls
}
