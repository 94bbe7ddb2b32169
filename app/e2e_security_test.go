package main

import (
	"bytes"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestRunFolderOfAnotherUserIsRefused: the script's run folder (beside
// the installed script, <state>/bin/run) made first by another user, or
// planted as a symlink to their folder, stops the build with the unsafe
// run folder status (kind unavailable, naming the folder and its owner),
// and nothing is written into it.
func TestRunFolderOfAnotherUserIsRefused(t *testing.T) {
	tests := []struct {
		name    string
		env     *nixEnv
		owner   string // who makes the folder first
		symlink bool
	}{
		{"root build, folder of nixpass-ci", hostEnv, "nixpass-ci", false},
		{"root build, symlink to nixpass-ci's folder", hostEnv, "nixpass-ci", true},
		{"nixpass-ci build, folder of root", userEnv, "root", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorldIn(t, tt.env)
			if os.Geteuid() != 0 {
				ciMissing(t, "planting another user's folder needs root")
			}
			dir := w.project("app", imageNix("e2e-rundir", ""))
			if o := w.run("add", dir); o.code != 0 {
				t.Fatalf("add: %v", o)
			}
			u, err := user.Lookup(tt.owner)
			if err != nil {
				ciMissing(t, "no user "+tt.owner)
			}
			uid, _ := strconv.Atoi(u.Uid)
			bin := filepath.Join(w.state, "bin")
			if err := os.MkdirAll(bin, 0o755); err != nil {
				t.Fatal(err)
			}
			w.own(bin)
			run := filepath.Join(bin, "run")
			theirs := run
			if tt.symlink {
				theirs = filepath.Join(w.root, "theirs")
				if err := os.Symlink(theirs, run); err != nil {
					t.Fatal(err)
				}
				if err := os.Lchown(run, uid, -1); err != nil {
					t.Fatal(err)
				}
			}
			// The attacker's folder, as they would make it: theirs, 0700
			// (so the mode alone does not give it away).
			if err := os.Mkdir(theirs, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(theirs, uid, -1); err != nil {
				t.Fatal(err)
			}
			// Where the script used to keep its run folder, planted too: the
			// same attack on the old place (XDG_RUNTIME_DIR, else /tmp).
			xdg := filepath.Join(w.root, "xdg")
			if err := os.Mkdir(xdg, 0o755); err != nil {
				t.Fatal(err)
			}
			builderUID := 0
			if tt.env.user != "" {
				builderUID = int(tt.env.credential(t).Uid)
			}
			old := filepath.Join(xdg, "nixpass-"+strconv.Itoa(builderUID))
			if err := os.Mkdir(old, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(old, uid, -1); err != nil {
				t.Fatal(err)
			}
			w.env = append(w.env, "XDG_RUNTIME_DIR="+xdg)
			o := w.run("build", dir, "--json")
			if ents, _ := os.ReadDir(old); len(ents) != 0 {
				t.Errorf("the build wrote into the other user's folder %s: %v", old, ents)
			}
			if o.code == 0 || string(o.res.Kind) != "unavailable" {
				t.Fatalf("build with a run folder of %s: exit %d kind %q, want a refusal of kind unavailable\n%v", tt.owner, o.code, o.res.Kind, o)
			}
			for _, want := range []string{run, "owner " + tt.owner} {
				if !strings.Contains(o.res.Message, want) {
					t.Errorf("message %q lacks %q", o.res.Message, want)
				}
			}
			if !strings.Contains(o.res.Hint, "rm -rf") {
				t.Errorf("hint %q does not say what to do", o.res.Hint)
			}
			if ents, _ := os.ReadDir(theirs); len(ents) != 0 {
				t.Errorf("the build wrote into the other user's folder: %v", ents)
			}
			if _, err := os.Stat(filepath.Join(dir, "result.tar.gz")); err == nil {
				t.Error("an image was built through an unsafe run folder")
			}
			// Once it is gone, the build makes its own private folder.
			if err := os.RemoveAll(run); err != nil {
				t.Fatal(err)
			}
			if o := w.run("build", dir, "--json"); o.code != 0 {
				t.Fatalf("build after removing the folder: %v", o)
			}
			st, err := os.Lstat(run)
			if err != nil || !st.IsDir() || st.Mode().Perm() != 0o700 {
				t.Errorf("run folder after a build: %v %v, want a 0700 folder", st.Mode(), err)
			}
		})
	}
}

// TestSymlinkedOutputOutsideTheStoreIsNotCopied: a derivation whose output
// is a symlink to a file outside the store is refused before any copy:
// nothing lands in the project folder.
func TestSymlinkedOutputOutsideTheStoreIsNotCopied(t *testing.T) {
	for _, e := range []*nixEnv{hostEnv, userEnv} {
		t.Run(e.name, func(t *testing.T) {
			w := newWorldIn(t, e)
			target := "/etc/shadow"
			if e.user != "" {
				target = "/etc/passwd"
			}
			dir := w.project("app", "")
			w.setNix(dir, `let i = import ./image.nix { tag = "x"; }; in derivation {
  name = "evil-`+strconv.FormatInt(time.Now().UnixNano(), 36)+`.tar.gz";
  system = builtins.currentSystem;
  builder = i.bb;
  args = [ "ln" "-s" "`+target+`" (builtins.placeholder "out") ];
}
`)
			if o := w.run("add", dir); o.code != 0 {
				t.Fatalf("add: %v", o)
			}
			o := w.run("build", dir, "--json")
			if o.code == 0 || string(o.res.Kind) != "build" || !strings.Contains(o.res.Message, "outside the Nix store") || !strings.Contains(o.res.Message, target) {
				t.Fatalf("build of a symlink to %s: exit %d kind %q message %q, want a refusal naming it\n%v", target, o.code, o.res.Kind, o.res.Message, o)
			}
			ents, _ := os.ReadDir(dir)
			for _, en := range ents {
				if n := en.Name(); n == "result.tar.gz" || strings.Contains(n, "nixpass-tmp") {
					t.Errorf("%s was written into the project folder", n)
				}
			}
		})
	}
}

// TestDashValuesAreRefused: a flake, file or attr value starting with "-"
// is refused by add, and by config load with the key and its line.
func TestDashValuesAreRefused(t *testing.T) {
	needNix(t)
	w := newWorld(t)
	dir := w.project("app", imageNix("e2e-dash", ""))
	for _, args := range [][]string{
		{"add", dir, "--flake=--impure"},
		{"add", dir, "--file", "-E"},
		{"add", dir, "--attr=-E"},
	} {
		if o := w.run(args...); o.code == 0 || !strings.Contains(o.stderr+o.stdout, `starts with "-"`) {
			t.Errorf("%q: exit %d, want a refusal\n%v", args, o.code, o)
		}
	}
	w.writeConfig("[[project]]\npath = " + strconv.Quote(dir) + "\nflake = \"--impure\"\n")
	o := w.run("build", dir)
	if o.code == 0 || !strings.Contains(o.stderr, ":3:") || !strings.Contains(o.stderr, `"flake"`) {
		t.Errorf("build with flake = \"--impure\": exit %d, want a config error naming line 3 and the key\n%v", o.code, o)
	}
}

// TestSubstituterTokenNotOnAnyCommandLine: a token in a substituter URL
// reaches Nix in NIX_CONFIG: no process's command line holds it while the
// build runs (root with a local store on Nix 2.8, 2.26 and 2.34, and
// nixpass-ci through a nix-daemon that trusts it), and neither nixpass's
// log nor its output does.
func TestSubstituterTokenNotOnAnyCommandLine(t *testing.T) {
	const token = "plantedTOKEN7f3e"
	conf := "[builder]\nsubstituters = [\"http://ci:" + token + "@127.0.0.1:9/\"]\n"
	for _, e := range []*nixEnv{hostEnv, trixieEnv, sidEnv} {
		t.Run(e.name, func(t *testing.T) {
			w := newWorldIn(t, e)
			dir := w.project("app", "")
			marker := uniqueSleep()
			w.setNix(dir, imageNix("e2e-token", `"$bb" `+marker))
			w.writeConfig(conf)
			if o := w.run("add", dir); o.code != 0 {
				t.Fatalf("add: %v", o)
			}
			noTokenWhileBuilding(t, token, marker, func() outcome { return w.runCmd(w.command("build", dir, "--json")) })
		})
	}
	t.Run("nixpass-ci through a trusting nix-daemon", func(t *testing.T) {
		userEnv.need(t)
		base, err := os.MkdirTemp("", "nixpass-token-daemon-")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(base) })
		if err := os.Chmod(base, 0o755); err != nil {
			t.Fatal(err)
		}
		bin := copyNixpass(t, base)
		d := startPrivateDaemon(t, base, "build-users-group = nixbld\ntrusted-users = root "+ciUser+"\nsubstituters =\n")
		w, cred := userWorld(t, base, d)
		w.writeConfig(conf)
		dir := w.project("app", "")
		marker := uniqueSleep()
		w.setNix(dir, imageNix("e2e-token-user", `"$bb" `+marker))
		if o := asUser(w, cred, bin, "add", dir); o.code != 0 {
			t.Fatalf("add: %v", o)
		}
		noTokenWhileBuilding(t, token, marker, func() outcome { return asUser(w, cred, bin, "build", dir, "--json") })
	})
}

// noTokenWhileBuilding runs build, scans every /proc/*/cmdline for token
// once marker (the builder's sleep) runs, ends the builder and checks the
// build's log and nixpass's output.
func noTokenWhileBuilding(t *testing.T, token, marker string, build func() outcome) {
	t.Helper()
	done := make(chan outcome, 1)
	go func() { done <- build() }()
	waitFor(t, 60*time.Second, "the builder to start", func() bool { return pgrep(marker) })
	scanned := 0
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		scanned++
		if bytes.Contains(b, []byte(token)) {
			t.Errorf("%s holds the token: %q", p, bytes.ReplaceAll(b, []byte{0}, []byte{' '}))
		}
	}
	if scanned < 10 {
		t.Errorf("scanned only %d command lines", scanned)
	}
	_ = exec.Command("pkill", "-f", marker).Run()
	o := <-done
	if o.res.Log == "" {
		t.Fatalf("the build named no log:\n%v", o)
	}
	if b := readFile(t, o.res.Log); bytes.Contains(b, []byte(token)) {
		t.Errorf("the log %s holds the token:\n%s", o.res.Log, b)
	}
	if strings.Contains(o.stdout+o.stderr, token) {
		t.Errorf("nixpass printed the token:\n%v", o)
	}
}
