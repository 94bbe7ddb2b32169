package build

import (
	"os"
	"strings"
	"testing"

	"nixpass/builder"
	"nixpass/builder/diagnose"
)

// remoteBuilderFailure is the failure table's verdict on log, and whether
// it was the remote-builder rule's.
func remoteBuilderFailure(log string) (message, hint string, ok bool) {
	d := diagnose.Diagnose(log, diagnose.Evidence{HostOS: "linux"})
	if d.Rule != "remote-builder" {
		return "", "", false
	}
	if d.Kind != builder.KindUnavailable {
		panic("the remote-builder rule's kind is " + string(d.Kind))
	}
	return d.Message, d.Hint, true
}

// TestRemoteBuilderFailure runs the rule against what Nix 2.8, 2.26 and
// 2.34 really print (captured by .ci/capture-remote-failures.sh).
func TestRemoteBuilderFailure(t *testing.T) {
	cases := []struct {
		name, builder, cause, verdict, hint string
	}{
		{"refused", "ssh-ng://nixpass-down", "Connection refused", "cannot be reached", "max_jobs"},
		{"dns", "ssh-ng://nixpass-builder.invalid", "Could not resolve hostname nixpass-builder.invalid", "cannot be reached", "its name resolves"},
		{"publickey", "ssh-ng://nixpass-builder", "Permission denied (publickey)", "rejected the SSH key", "authorized_keys"},
		{"nonix-ng", "ssh-ng://nixpass-nonix", "nix-daemon: not found", "has no Nix on its PATH", "remote-program"},
		{"nonix-ssh", "ssh://nixpass-nonix", "nix-store: not found", "has no Nix on its PATH", "remote-program"},
	}
	exits := readExits(t)
	for _, v := range []string{"2.8", "2.26", "2.34"} {
		for _, c := range cases {
			t.Run(v+"-"+c.name, func(t *testing.T) {
				log := readRemote(t, v+"-"+c.name)
				msg, hint, ok := remoteBuilderFailure(log)
				if !ok {
					t.Fatalf("not recognised:\n%s", log)
				}
				want := "the remote builder " + c.builder + " " + c.verdict + ": "
				if !strings.HasPrefix(msg, want) || !strings.Contains(msg, c.cause) {
					t.Errorf("message = %q, want %q… naming %q", msg, want, c.cause)
				}
				if strings.Contains(msg, "system features") || strings.Contains(msg, "max-jobs = 0") {
					t.Errorf("message repeats Nix's misleading last line: %q", msg)
				}
				if !strings.Contains(hint, c.hint) || !strings.Contains(hint, "store ping --store "+c.builder) {
					t.Errorf("hint = %q, want it to mention %q and nix store ping of the builder", hint, c.hint)
				}
				// The exit status differs by version; the rule must not
				// depend on it.
				want2 := map[string]string{"2.8": "1", "2.26": "1", "2.34": "100"}[v]
				if got := exits[v+"-"+c.name]; got != want2 {
					t.Errorf("captured exit %s, want %s (recapture?)", got, want2)
				}
			})
		}
		// A build that worked, or that fell back to this machine, is not
		// a remote failure.
		for _, n := range []string{"ok", "fallback"} {
			if _, _, ok := remoteBuilderFailure(readRemote(t, v+"-"+n)); ok {
				t.Errorf("%s-%s: recognised as a remote builder failure", v, n)
			}
		}
	}
	// A derivation that failed locally after a builder was skipped is a
	// build failure, not this one.
	mixed := readRemote(t, "2.8-fallback") + string(mustRead(t, "../testdata/nix/2.8-build-exit.txt"))
	if _, _, ok := remoteBuilderFailure(mixed); ok {
		t.Error("a local build failure after a fallback was taken for a remote builder failure")
	}
}

func TestBuiltOnAndFallback(t *testing.T) {
	for _, v := range []string{"2.8", "2.26", "2.34"} {
		var bo builtOn
		for _, l := range strings.Split(readRemote(t, v+"-ok"), "\n") {
			bo.line(l)
		}
		if got := bo.machine(); got != "ssh-ng://nixpass-builder" {
			t.Errorf("%s-ok: built_on = %q, want ssh-ng://nixpass-builder", v, got)
		}
		bo = builtOn{}
		log := readRemote(t, v+"-fallback")
		for _, l := range strings.Split(log, "\n") {
			bo.line(l)
		}
		if got := bo.machine(); got != "local" {
			t.Errorf("%s-fallback: built_on = %q, want local", v, got)
		}
		w := fallbackWarning(log, "local")
		if !strings.Contains(w, "ssh-ng://nixpass-down") || !strings.Contains(w, "Connection refused") || !strings.Contains(w, "built on this machine instead") {
			t.Errorf("%s-fallback: warning = %q", v, w)
		}
	}
}

func readRemote(t *testing.T, name string) string {
	t.Helper()
	return string(mustRead(t, "../testdata/nix/remote/"+name+".txt"))
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readExits(t *testing.T) map[string]string {
	out := map[string]string{}
	for _, l := range strings.Split(string(mustRead(t, "../testdata/nix/remote/exits.txt")), "\n") {
		if k, v, ok := strings.Cut(l, " "); ok {
			out[k] = v
		}
	}
	return out
}
