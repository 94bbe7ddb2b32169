// Package multipasstest sets up the fake multipass CLI
// (builder/multipass/testdata/fake-multipass) for tests in any package:
// build it, give it a world of instances, read back what it was asked.
//
// The fake's exec runs commands on this host, so a test can drive the
// whole Multipass build path with real tools. Its environment variables
// (state, argv log, failure injection) are listed as the Env constants
// and in the fake's package comment.
//
// Only tests import it; it imports no nixpass package.
package multipasstest

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
)

// Environment variables the fake reads.
const (
	// EnvState names the JSON file holding the instances.
	EnvState = "FAKE_MULTIPASS_STATE"
	// EnvLog names the file each invocation's argv is appended to.
	EnvLog = "FAKE_MULTIPASS_LOG"
	// EnvDaemonDown, set to 1, fails every command but version as an
	// unreachable daemon does (exit 3); set to 2, with exit 2.
	EnvDaemonDown = "FAKE_MULTIPASS_DAEMON_DOWN"
	// EnvSocketDenied, set to 1, fails every command but version with
	// "multipass socket access denied".
	EnvSocketDenied = "FAKE_MULTIPASS_SOCKET_DENIED"
	// EnvLaunchFail makes launch fail with its value as the message.
	EnvLaunchFail = "FAKE_MULTIPASS_LAUNCH_FAIL"
	// EnvStartFail makes start, restart and exec's implicit start fail
	// with its value as the message.
	EnvStartFail = "FAKE_MULTIPASS_START_FAIL"
	// EnvExecFail, set to 1, fails exec before the command runs, as a
	// failed SSH connection does (exit 255); set to "after", exec runs
	// the command and then fails so, as when the VM dies mid-command.
	EnvExecFail = "FAKE_MULTIPASS_EXEC_FAIL"
	// EnvSFTPRename, set to 1, makes mv in exec'd commands rename as
	// Multipass's SFTP mount does: remove the target, then rename; set
	// to "kill", mv dies between the two, as a VM or mount going away.
	EnvSFTPRename = "FAKE_MULTIPASS_SFTP_RENAME"
)

var (
	buildOnce sync.Once
	fakeBin   string
	buildErr  error
)

// Build compiles the fake once per process and returns the path of the
// binary, named "multipass" so its folder can go first on PATH. The
// binary is kept in the temporary folder under a hash of the fake's
// source and the Go version, so test processes share one build and a
// change to the fake rebuilds it.
func Build(t testing.TB) (binPath string) {
	t.Helper()
	buildOnce.Do(build)
	if buildErr != nil {
		t.Fatalf("build the fake multipass: %v", buildErr)
	}
	return fakeBin
}

func build() {
	_, file, _, _ := runtime.Caller(0)
	src := filepath.Join(filepath.Dir(file), "..", "testdata", "fake-multipass")
	sum, err := sourceHash(src)
	if err != nil {
		buildErr = err
		return
	}
	dir := filepath.Join(os.TempDir(), "nixpass-fake-multipass-"+sum)
	fakeBin = filepath.Join(dir, "multipass")
	if st, err := os.Stat(fakeBin); err == nil && st.Mode().IsRegular() {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		buildErr = err
		return
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		buildErr = fmt.Errorf("the go command is needed to build the fake: %w", err)
		return
	}
	// Build beside the final name and rename, so processes building at
	// the same time never run a half-written binary.
	tmp, err := os.CreateTemp(dir, "multipass-*.tmp")
	if err != nil {
		buildErr = err
		return
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	cmd := exec.Command(goBin, "build", "-o", tmp.Name(), ".")
	cmd.Dir = src
	if out, err := cmd.CombinedOutput(); err != nil {
		buildErr = fmt.Errorf("%w: %s", err, out)
		return
	}
	buildErr = os.Rename(tmp.Name(), fakeBin)
}

// sourceHash hashes the fake's Go files and the toolchain.
func sourceHash(dir string) (string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil || len(files) == 0 {
		return "", fmt.Errorf("no fake multipass source in %s: %v", dir, err)
	}
	sort.Strings(files)
	h := sha256.New()
	fmt.Fprintln(h, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", err
		}
		fmt.Fprintln(h, filepath.Base(f), len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// FakeInstance is an instance of the fake's world.
type FakeInstance struct {
	Name string `json:"name"`
	// State is one of Multipass's states, e.g. "Running" or "Stopped".
	State string `json:"state"`
	CPUs  int    `json:"cpus"`
	// Memory and Disk are the configured sizes, in bytes.
	Memory int64 `json:"memory"`
	Disk   int64 `json:"disk"`
	// Release is what info reports while the instance runs; "" means
	// "Ubuntu 24.04.1 LTS".
	Release string `json:"release,omitempty"`
	Image   string `json:"image,omitempty"`
	// CloudInit is the path launch got with --cloud-init, and
	// CloudInitData the file's content then.
	CloudInit     string `json:"cloud_init,omitempty"`
	CloudInitData string `json:"cloud_init_data,omitempty"`
	// Mounts maps targets inside the instance to host folders.
	Mounts map[string]string `json:"mounts"`
}

type worldFile struct {
	Instances map[string]FakeInstance `json:"instances"`
}

// NewWorld writes the fake's initial state with instances into a fresh
// temporary folder and returns the environment that points the fake at
// it (EnvState and EnvLog, as KEY=VALUE), the state file, and the argv
// log for Calls.
func NewWorld(t testing.TB, instances ...FakeInstance) (env []string, statePath, logPath string) {
	t.Helper()
	dir := t.TempDir()
	statePath, logPath = filepath.Join(dir, "state.json"), filepath.Join(dir, "calls.jsonl")
	w := worldFile{Instances: map[string]FakeInstance{}}
	for _, in := range instances {
		if in.Mounts == nil {
			in.Mounts = map[string]string{}
		}
		w.Instances[in.Name] = in
	}
	b, err := json.MarshalIndent(w, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(statePath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return []string{EnvState + "=" + statePath, EnvLog + "=" + logPath}, statePath, logPath
}

// ReadWorld returns the fake's instances as they are now, by name.
func ReadWorld(t testing.TB, statePath string) map[string]FakeInstance {
	t.Helper()
	b, err := os.ReadFile(statePath)
	if err != nil {
		t.Fatal(err)
	}
	var w worldFile
	if err := json.Unmarshal(b, &w); err != nil {
		t.Fatalf("fake multipass state %s: %v", statePath, err)
	}
	for name, in := range w.Instances {
		in.Name = name
		w.Instances[name] = in
	}
	return w.Instances
}

// Setenv sets each KEY=VALUE of env for the rest of the test.
func Setenv(t testing.TB, env []string) {
	t.Helper()
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

// Calls returns the argv (without the program) of every invocation of
// the fake logged in logPath, in order of their start; none when it was
// never run.
func Calls(t testing.TB, logPath string) [][]string {
	t.Helper()
	var calls [][]string
	jsonLines(t, logPath, func(b []byte) error {
		var argv []string
		err := json.Unmarshal(b, &argv)
		calls = append(calls, argv)
		return err
	})
	return calls
}

// Result is how one invocation of the fake ended.
type Result struct {
	// Argv is the invocation's arguments, without the program.
	Argv []string `json:"argv"`
	// Exit is its exit status.
	Exit int `json:"exit"`
}

// Results returns how every invocation logged in logPath ended, in the
// order they ended (which, for invocations running at the same time, is
// not the order of Calls); none when it was never run.
func Results(t testing.TB, logPath string) []Result {
	t.Helper()
	var res []Result
	jsonLines(t, logPath+".results", func(b []byte) error {
		var r Result
		err := json.Unmarshal(b, &r)
		res = append(res, r)
		return err
	})
	return res
}

// jsonLines calls fn on each line of the file at path; a missing file has
// none.
func jsonLines(t testing.TB, path string, fn func([]byte) error) {
	t.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<24)
	for sc.Scan() {
		if err := fn(sc.Bytes()); err != nil {
			t.Fatalf("fake multipass log %s: %v", path, err)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
}
