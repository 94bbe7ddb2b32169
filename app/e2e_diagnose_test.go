package main

import (
	"encoding/json"
	"strings"
	"testing"

	"nixpass/builder"
)

// busyboxDrv is a Nix expression for a derivation built by the host's
// static busybox, with extra attributes.
func busyboxDrv(name, script, extra string) string {
	return `let
  busybox = if builtins.pathExists /usr/bin/busybox then /usr/bin/busybox else /bin/busybox;
  bb = builtins.path { name = "busybox-static"; path = builtins.dirOf busybox; filter = p: _: baseNameOf p == "busybox"; };
in derivation ({
  name = "` + name + `";
  system = builtins.currentSystem;
  builder = "${bb}/busybox";
  args = [ "sh" "-c" "` + script + `" ];
} // ` + extra + `)
`
}

// TestBuildDiagnosesRealFailures: the real binary on real Nix, for the
// kinds and set-up problems the table adds: exit code, JSON and hint.
func TestBuildDiagnosesRealFailures(t *testing.T) {
	needNix(t)
	// Where a case is checked: every Nix (2.8 as root and as a user
	// through nix-daemon, 2.26, 2.34), except where the setting it breaks
	// belongs to the daemon, which a user cannot change: its build users,
	// and its system-features (this machine has /dev/kvm, so the shared
	// daemon offers kvm).
	rootOnly := []*nixEnv{hostEnv, trixieEnv, sidEnv}
	tests := []diagnoseCase{
		{name: "network during evaluation", nix: `import (builtins.fetchTarball "http://nixpass-unresolvable.invalid/nixpkgs.tar.gz") { }` + "\n",
			env: []string{"NIX_CONFIG=substituters =\ndownload-attempts = 1\ntarball-ttl = 0\n"}, kind: builder.KindNetwork,
			message: []string{"could not download http://nixpass-unresolvable.invalid/nixpkgs.tar.gz from nixpass-unresolvable.invalid"},
			hint:    []string{"this machine's network", "curl -sI http://nixpass-unresolvable.invalid"}},
		{name: "other platform", nix: `derivation { name = "mac-only"; system = "aarch64-darwin"; builder = "/bin/sh"; }` + "\n",
			kind: builder.KindPlatform, message: []string{"mac-only is for aarch64-darwin"}, hint: []string{"--system aarch64-darwin"}},
		{name: "kvm feature", nix: busyboxDrv("needs-kvm", "echo > $out", `{ requiredSystemFeatures = [ "kvm" ]; }`),
			env: []string{"NIX_CONFIG=substituters =\nsystem-features = benchmark big-parallel\n"}, kind: builder.KindPlatform,
			message: []string{"needs the system feature kvm"}, hint: []string{"runAsRoot needs KVM", "fakeRootCommands"}, in: rootOnly},
		{name: "hash mismatch, base32 in the file", nix: busyboxDrv("vendor-deps", "echo hello > $out",
			`{ outputHashMode = "flat"; outputHashAlgo = "sha256"; outputHash = "0000000000000000000000000000000000000000000000000000"; }`),
			kind: builder.KindBuild, message: []string{"vendor-deps", "got sha256-WJG1tSLV3whtD/CxEPvZ0hu0/HFjrzTQgoai6Eb2vgM="},
			hint: []string{`"00xyyr3fi8l6hb839bv3f7yb86yjv7xi1cgh1xnhipym4asvb4aq"`}},
		{name: "no build users", nix: imageNix("e2e-nobuildusers", ""),
			env: []string{"NIX_CONFIG=substituters =\nbuild-users-group = nixpass-no-such-group\n"}, kind: builder.KindUnavailable,
			message: []string{"Nix is not set up on this machine", "nixpass-no-such-group"}, hint: []string{"sudo apt-get install nix-setup-systemd"}, in: rootOnly},
		{name: "no daemon", nix: imageNix("e2e-nodaemon", ""),
			env: []string{"NIX_REMOTE=daemon", "NIX_DAEMON_SOCKET_PATH=/nonexistent/nixpass/socket"}, kind: builder.KindUnavailable,
			message: []string{"nix-daemon is not running", "/nonexistent/nixpass/socket"}, hint: []string{"sudo systemctl start nix-daemon"}},
	}
	for _, tt := range tests {
		envs := tt.in
		if envs == nil {
			envs = everyNixes
		}
		for _, e := range envs {
			t.Run(tt.name+"/"+e.name, func(t *testing.T) { tt.check(t, e) })
		}
	}
}

// diagnoseCase is a failure built for real, with the verdict it must get.
type diagnoseCase struct {
	name          string
	nix           string
	env           []string
	kind          builder.Kind
	message, hint []string
	// in are the environments it is checked in; nil: everyNixes.
	in []*nixEnv
}

// check builds the case in environment e and checks the verdict, and that
// explain reads the build's own log the same way.
func (tt diagnoseCase) check(t *testing.T, e *nixEnv) {
	w := newWorldIn(t, e)
	w.env = append(w.env, tt.env...)
	dir := w.project("app", tt.nix)
	o := w.run("build", dir, "--json")
	if o.code != tt.kind.ExitCode() || o.res.Kind != tt.kind || o.res.Status != "failed" {
		t.Fatalf("got exit %d kind %q, want %d %q\n%v", o.code, o.res.Kind, tt.kind.ExitCode(), tt.kind, o)
	}
	for _, s := range tt.message {
		if !strings.Contains(o.res.Message, s) {
			t.Errorf("message %q lacks %q", o.res.Message, s)
		}
	}
	for _, s := range tt.hint {
		if !strings.Contains(o.res.Hint, s) {
			t.Errorf("hint %q lacks %q", o.res.Hint, s)
		}
	}
	// explain on the build's own log gives the same kind.
	if o.res.Log != "" && tt.kind != builder.KindUnavailable {
		ex := w.run("explain", o.res.Log, "--json")
		var d struct{ Kind builder.Kind }
		if err := json.Unmarshal([]byte(ex.stdout), &d); err != nil || d.Kind != tt.kind || ex.code != tt.kind.ExitCode() {
			t.Errorf("explain of the build log: %v", ex)
		}
	}
}

// TestStatusSeesNixSetUp: status makes a real round trip to the store,
// so a Nix without its daemon is unavailable, with the fix.
func TestStatusSeesNixSetUp(t *testing.T) {
	needNix(t)
	w := newWorld(t)
	if o := w.run("status", "--json"); o.code != 0 || !strings.Contains(o.stdout, `"state": "running"`) {
		t.Fatalf("status of a working Nix:\n%v", o)
	}
	w.env = append(w.env, "NIX_REMOTE=daemon", "NIX_DAEMON_SOCKET_PATH=/nonexistent/nixpass/socket")
	o := w.run("status", "--json")
	var st struct {
		Builder struct{ State, Problem, Hint string }
	}
	if err := json.Unmarshal([]byte(o.stdout), &st); err != nil {
		t.Fatalf("%v\n%v", err, o)
	}
	if st.Builder.State != "unavailable" || !strings.Contains(st.Builder.Problem, "nix-daemon is not running") ||
		!strings.Contains(st.Builder.Hint, "sudo systemctl start nix-daemon") {
		t.Errorf("status without a daemon: %+v", st.Builder)
	}
}
