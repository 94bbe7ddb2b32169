package multipasstest

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestBuildOnce(t *testing.T) {
	a, b := Build(t), Build(t)
	if a != b || filepath.Base(a) != "multipass" {
		t.Fatalf("Build = %q then %q", a, b)
	}
	if st, err := os.Stat(a); err != nil || st.Mode().Perm()&0o111 == 0 {
		t.Fatalf("the fake is not an executable: %v, %v", st, err)
	}
}

func TestWorldRoundTrip(t *testing.T) {
	in := FakeInstance{Name: "b", State: "Stopped", CPUs: 3, Memory: 3 << 30, Disk: 7 << 30, Release: "Ubuntu 22.04 LTS",
		Image: "22.04", CloudInit: "/tmp/ci", CloudInitData: "#cloud-config\n", Mounts: map[string]string{"/g": "/h"}}
	env, statePath, logPath := NewWorld(t, in)
	if want := []string{EnvState + "=" + statePath, EnvLog + "=" + logPath}; !reflect.DeepEqual(env, want) {
		t.Errorf("env = %q, want %q", env, want)
	}
	if got := ReadWorld(t, statePath); !reflect.DeepEqual(got, map[string]FakeInstance{"b": in}) {
		t.Errorf("ReadWorld = %+v", got)
	}
	if calls := Calls(t, logPath); calls != nil {
		t.Errorf("calls before any run = %q", calls)
	}

	// The fake reads the same world: start it, then ask it.
	bin := Build(t)
	run := func(args ...string) []byte {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%q: %v", args, err)
		}
		return out
	}
	run("start", "b")
	var info struct {
		Info map[string]struct {
			CPUCount string `json:"cpu_count"`
			Release  string
			State    string
			Mounts   map[string]struct {
				SourcePath string `json:"source_path"`
			}
		}
	}
	if err := json.Unmarshal(run("info", "b", "--format", "json"), &info); err != nil {
		t.Fatal(err)
	}
	got := info.Info["b"]
	if got.CPUCount != "3" || got.Release != in.Release || got.State != "Running" || got.Mounts["/g"].SourcePath != "/h" {
		t.Errorf("info = %+v", got)
	}
	if after := ReadWorld(t, statePath)["b"]; after.State != "Running" || after.CloudInitData != in.CloudInitData {
		t.Errorf("world after start = %+v", after)
	}
	want := [][]string{{"start", "b"}, {"info", "b", "--format", "json"}}
	if calls := Calls(t, logPath); !reflect.DeepEqual(calls, want) {
		t.Errorf("calls = %q, want %q", calls, want)
	}
}

func TestSetenv(t *testing.T) {
	Setenv(t, []string{"NIXPASS_TEST_A=1", "NIXPASS_TEST_B=x=y"})
	if os.Getenv("NIXPASS_TEST_A") != "1" || os.Getenv("NIXPASS_TEST_B") != "x=y" {
		t.Errorf("env = %q, %q", os.Getenv("NIXPASS_TEST_A"), os.Getenv("NIXPASS_TEST_B"))
	}
}

func TestFakeNeedsState(t *testing.T) {
	cmd := exec.Command(Build(t), "list", "--format", "json")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), EnvState) {
		t.Errorf("without a state file: %v, %s", err, out)
	}
}

// Results says how each call ended: success, the daemon's failure (2)
// and an exec'd command's own status, in order.
func TestResults(t *testing.T) {
	env, _, logPath := NewWorld(t, FakeInstance{Name: "b", State: "Running"})
	bin := Build(t)
	for _, args := range [][]string{{"info", "b", "--format", "json"}, {"info", "nope", "--format", "json"}, {"exec", "b", "-n", "--", "sh", "-c", "exit 7"}} {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), env...)
		_ = cmd.Run()
	}
	var got []int
	for _, r := range Results(t, logPath) {
		got = append(got, r.Exit)
	}
	if want := []int{0, 2, 7}; !reflect.DeepEqual(got, want) {
		t.Errorf("exits = %v, want %v (%+v)", got, want, Results(t, logPath))
	}
	if r := Results(t, logPath); len(r) == 3 && !reflect.DeepEqual(r[1].Argv, []string{"info", "nope", "--format", "json"}) {
		t.Errorf("argv of the failed call = %q", r[1].Argv)
	}
}
