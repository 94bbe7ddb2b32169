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
	tests := []struct {
		name    string
		nix     string
		env     []string
		kind    builder.Kind
		message []string
		hint    []string
	}{
		{"network during evaluation", `import (builtins.fetchTarball "http://nixpass-unresolvable.invalid/nixpkgs.tar.gz") { }` + "\n",
			[]string{"NIX_CONFIG=substituters =\ndownload-attempts = 1\ntarball-ttl = 0\n"}, builder.KindNetwork,
			[]string{"could not download http://nixpass-unresolvable.invalid/nixpkgs.tar.gz from nixpass-unresolvable.invalid"}, []string{"this machine's network", "curl -sI https://cache.nixos.org"}},
		{"other platform", `derivation { name = "mac-only"; system = "aarch64-darwin"; builder = "/bin/sh"; }` + "\n",
			nil, builder.KindPlatform, []string{"mac-only is for aarch64-darwin"}, []string{"--system aarch64-darwin"}},
		{"kvm feature", busyboxDrv("needs-kvm", "echo > $out", `{ requiredSystemFeatures = [ "kvm" ]; }`),
			[]string{"NIX_CONFIG=substituters =\nsystem-features = benchmark big-parallel\n"}, builder.KindPlatform,
			[]string{"needs the system feature kvm"}, []string{"runAsRoot needs KVM", "fakeRootCommands"}},
		{"hash mismatch, base32 in the file", busyboxDrv("vendor-deps", "echo hello > $out",
			`{ outputHashMode = "flat"; outputHashAlgo = "sha256"; outputHash = "0000000000000000000000000000000000000000000000000000"; }`),
			nil, builder.KindBuild, []string{"vendor-deps", "got sha256-WJG1tSLV3whtD/CxEPvZ0hu0/HFjrzTQgoai6Eb2vgM="},
			[]string{`"00xyyr3fi8l6hb839bv3f7yb86yjv7xi1cgh1xnhipym4asvb4aq"`}},
		{"no build users", imageNix("e2e-nobuildusers", ""),
			[]string{"NIX_CONFIG=substituters =\nbuild-users-group = nixpass-no-such-group\n"}, builder.KindUnavailable,
			[]string{"Nix is not set up on this machine", "nixpass-no-such-group"}, []string{"sudo apt-get install nix-setup-systemd"}},
		{"no daemon", imageNix("e2e-nodaemon", ""),
			[]string{"NIX_REMOTE=daemon", "NIX_DAEMON_SOCKET_PATH=/nonexistent/nixpass/socket"}, builder.KindUnavailable,
			[]string{"nix-daemon is not running", "/nonexistent/nixpass/socket"}, []string{"sudo systemctl start nix-daemon"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
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
				e := w.run("explain", o.res.Log, "--json")
				var d struct{ Kind builder.Kind }
				if err := json.Unmarshal([]byte(e.stdout), &d); err != nil || d.Kind != tt.kind || e.code != tt.kind.ExitCode() {
					t.Errorf("explain of the build log: %v", e)
				}
			}
		})
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
