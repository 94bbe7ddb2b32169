package diagnose

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"nixpass/builder"
)

var versions = []string{"2.8", "2.26", "2.34"}

func vmEvidence() Evidence {
	return Evidence{HostOS: "darwin", Machine: Machine{VM: "nixpass", Memory: 4 << 30, CPUs: 4, Disk: 40 << 30}}
}

func localEvidence() Evidence {
	return Evidence{HostOS: "linux", User: "ana", Machine: Machine{Memory: 8 << 30, MemLimit: 512 << 20, CPUs: 2}}
}

func withStoreFree(ev Evidence, n int64) Evidence { ev.Machine.StoreFree = n; return ev }

// TestDiskQuota: EDQUOT is a full disk too. CI's kernel has no quota
// support (ext4 quota, tmpfs quota are not built in), so the text is a
// real 2.8 disk-full log with glibc's strerror(EDQUOT) in ENOSPC's place.
func TestDiskQuota(t *testing.T) {
	b, err := os.ReadFile("testdata/2.8/disk-full.txt")
	if err != nil {
		t.Fatal(err)
	}
	log := strings.ReplaceAll(string(b), "No space left on device", "Disk quota exceeded")
	if d := Diagnose(log, vmEvidence()); d.Kind != builder.KindDiskFull || !strings.Contains(d.Message, "Disk quota exceeded") {
		t.Errorf("EDQUOT: got %s %q, want disk_full quoting it", d.Kind, d.Message)
	}
}

// TestRealTexts runs the table over the texts each Nix version really
// printed (capture.sh), on a VM and on the local backend.
func TestRealTexts(t *testing.T) {
	tests := []struct {
		file     string
		ev       Evidence
		kind     builder.Kind
		rule     string
		message  []string
		hint     []string
		drv      bool
		position string
	}{
		{"eval-undefined", vmEvidence(), builder.KindEval, "eval", []string{"undefined variable 'pkgz'", "eval-undefined.nix:1:18"}, []string{"fix the expression at", "eval-undefined.nix:1:18"}, false, "eval-undefined.nix:1:18"},
		{"flake-eval-undefined", Evidence{Project: builder.Project{Dir: "/p", Flake: ".#image"}}, builder.KindEval, "eval", []string{"undefined variable 'pkgz'"}, []string{"nix flake check"}, false, "eval-undefined.nix:1:18"},
		{"build-exit", vmEvidence(), builder.KindBuild, "builder-failed", []string{"builder for failing failed with exit code 3", "fatal: something broke"}, []string{"log"}, true, ""},
		{"build-signal9", vmEvidence(), builder.KindBuild, "builder-failed", []string{"killed", "signal 9", "the kernel log could not be read"}, []string{"if memory is short", "4 GiB", "nixpass vm resize --memory 8G", "cores = 2"}, true, ""},
		{"build-cycle", withDir(vmEvidence(), "/Users/ana/proj"), builder.KindBuild, "build-other", []string{"the build failed on the builder VM", "cycle detected"}, []string{"nixpass logs /Users/ana/proj"}, true, ""},
		{"hash-mismatch-sri", vmEvidence(), builder.KindBuild, "hash-mismatch", []string{"vendor-deps", "got sha256-WJG1tSLV3whtD/CxEPvZ0hu0/HFjrzTQgoai6Eb2vgM="}, []string{`"sha256-WJG1tSLV3whtD/CxEPvZ0hu0/HFjrzTQgoai6Eb2vgM="`}, true, ""},
		{"hash-mismatch-base32", withContains(vmEvidence(), "0000000000000000000000000000000000000000000000000000"), builder.KindBuild, "hash-mismatch", []string{"vendor-deps"}, []string{`"00xyyr3fi8l6hb839bv3f7yb86yjv7xi1cgh1xnhipym4asvb4aq"`}, true, ""},
		{"hash-mismatch-sri", withContains(vmEvidence(), "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="), builder.KindBuild, "hash-mismatch", []string{"vendor-deps"}, []string{`with "sha256-WJG1tSLV3whtD/CxEPvZ0hu0/HFjrzTQgoai6Eb2vgM="`}, true, ""},
		{"missing-outside", withDir(vmEvidence(), "/Users/ana/proj"), builder.KindEval, "missing-file", []string{"/shared/lib.nix does not exist"}, []string{"only mounted folders", "--mount", "/shared"}, false, "missing-outside.nix:1:1"},
		{"no-default", vmEvidence(), builder.KindConfig, "no-nix-file", []string{"no default.nix", "nobody/default.nix"}, []string{"--file"}, false, ""},
		{"network-fetchtarball", vmEvidence(), builder.KindNetwork, "network", []string{"could not download http://nixpass-unresolvable.invalid/nixpkgs.tar.gz from nixpass-unresolvable.invalid", "resolve host"}, []string{"multipass exec nixpass -- curl -sI http://nixpass-unresolvable.invalid", "VPN", "proxy", "the Mac"}, false, ""},
		{"network-fetchurl", vmEvidence(), builder.KindNetwork, "network", []string{"app-1.0.tar.gz from nixpass-unresolvable.invalid", "building app-1.0.tar.gz"}, []string{"no working network"}, true, ""},
		{"network-fetchurl", localEvidence(), builder.KindNetwork, "network", []string{"this machine could not download"}, []string{"this machine's network", "curl -sI http://nixpass-unresolvable.invalid"}, true, ""},
		{"network-refused", localEvidence(), builder.KindNetwork, "network", []string{"127.0.0.1:1"}, []string{"curl -sI http://127.0.0.1:1;"}, false, ""},
		{"eval-nixpath", vmEvidence(), builder.KindEval, "nix-path", []string{"<nixpkgs> is not in the Nix search path on the builder VM", "eval-nixpath.nix:1:"}, []string{`fetchTarball "https://github.com/NixOS/nixpkgs/archive/`, "examples/hello-layered", "multipass exec nixpass -- nix-channel --add"}, false, "eval-nixpath.nix:1:8"},
		{"eval-nixpath", localEvidence(), builder.KindEval, "nix-path", []string{"<nixpkgs> is not in the Nix search path on this machine"}, []string{"pin it in the project", "nix-channel --add https://nixos.org/channels/nixpkgs-unstable nixpkgs && nix-channel --update"}, false, "eval-nixpath.nix:1:8"},
		{"eval-attr-missing", withAttr(localEvidence(), "eval-attr.nix", "imag"), builder.KindEval, "missing-attr", []string{"the project's attr key selects imag, which eval-attr.nix does not have", "did you mean image?"}, []string{`set attr = "image"`, "[[project]]"}, false, ""},
		{"eval-attr-missing", localEvidence(), builder.KindEval, "missing-attr", []string{"has no attribute imag", "did you mean image?"}, []string{"select an attribute the file has (image)"}, false, ""},
		{"network-flake-input", vmEvidence(), builder.KindNetwork, "network", []string{"could not download http://nixpass-unresolvable.invalid/dep.tar.gz"}, []string{"no working network"}, false, ""},
		{"network-refused", vmEvidence(), builder.KindNetwork, "network", []string{"could not download http://127.0.0.1:1/src/app-1.0.tar.gz from 127.0.0.1:1", "connect to server"}, []string{"no working network", "VPN"}, false, ""},
		{"network-http404", vmEvidence(), builder.KindNetwork, "network", []string{"no-such-file.tar.gz", "HTTP error 404"}, []string{"the URL is wrong or gone"}, false, ""},
		{"platform-system", vmEvidence(), builder.KindPlatform, "platform", []string{"arm-image is for aarch64-linux", "builds for x86_64-linux"}, []string{"--system aarch64-linux", "emulation"}, true, ""},
		{"platform-kvm", vmEvidence(), builder.KindPlatform, "platform", []string{"needs the system feature kvm", "benchmark, big-parallel"}, []string{"runAsRoot needs KVM", "fakeRootCommands", "enableFakechroot"}, true, ""},
		{"disk-full", vmEvidence(), builder.KindDiskFull, "disk-full", []string{"ran out of disk space", "No space left on device"}, []string{"nixpass vm gc", "nixpass vm resize --disk 60G", "untouched"}, false, ""},
		{"disk-full", localEvidence(), builder.KindDiskFull, "disk-full", []string{"this machine ran out of disk space"}, []string{"never collects", "nix-collect-garbage -d"}, false, ""},
		{"disk-full", withStoreFree(localEvidence(), 3<<20), builder.KindDiskFull, "disk-full", []string{"this machine ran out of disk space"}, []string{"3.1 MB is free on the Nix store's disk now", "nix-collect-garbage -d"}, false, ""},
		{"disk-full-builddir", vmEvidence(), builder.KindDiskFull, "disk-full", []string{"ran out of disk space", "No space left on device"}, []string{"nixpass vm gc"}, false, ""},
		{"disk-full-note", vmEvidence(), builder.KindDiskFull, "disk-full", []string{"ran out of disk space", "failed with exit code 1", "lack of free disk space"}, []string{"nixpass vm gc"}, false, ""},
		{"disk-full-sqlite", vmEvidence(), builder.KindDiskFull, "disk-full", []string{"ran out of disk space", "database or disk is full"}, []string{"nixpass vm gc"}, false, ""},
		{"gc-note", vmEvidence(), builder.KindBuild, "builder-failed", []string{"failing failed with exit code 3"}, []string{"log"}, true, ""},
		{"setup-nixbld-missing", vmEvidence(), builder.KindUnavailable, "setup-build-users", []string{"Nix is not set up", "build-users-group"}, []string{"nixpass vm delete --yes && nixpass vm create"}, false, ""},
		{"setup-nixbld-missing", localEvidence(), builder.KindUnavailable, "setup-build-users", []string{"Nix is not set up on this machine"}, []string{"sudo apt-get install nix-setup-systemd"}, false, ""},
		{"setup-socket-missing", localEvidence(), builder.KindUnavailable, "setup-daemon-socket", []string{"nix-daemon is not running", "no-such-dir/socket"}, []string{"sudo systemctl start nix-daemon", "nix-setup-systemd"}, false, ""},
		{"setup-socket-refused", localEvidence(), builder.KindUnavailable, "setup-daemon-socket", []string{"nix-daemon is not running", "Connection refused"}, []string{"sudo systemctl start nix-daemon"}, false, ""},
		{"setup-socket-denied", localEvidence(), builder.KindUnavailable, "setup-daemon-socket", []string{"denies access"}, []string{"sudo usermod -aG nix-users ana", "log out and in again"}, false, ""},
		{"setup-socket-denied", vmEvidence(), builder.KindUnavailable, "setup-daemon-socket", []string{"denies access"}, []string{"nixpass vm delete --yes && nixpass vm create"}, false, ""},
		{"setup-store-readonly", localEvidence(), builder.KindUnavailable, "setup-store-permission", []string{"not writable", "/nix/var/nix/"}, []string{"nix-setup-systemd", "nix-users"}, false, ""},
		{"flake-untracked", withDir(vmEvidence(), "/Users/ana/flake"), builder.KindEval, "flake-untracked", []string{"untracked.nix is not in the flake", "git tracks"}, []string{"git -C /", "flake add untracked.nix"}, false, "image.nix:1:1"},
	}
	for _, v := range versions {
		for _, tt := range tests {
			t.Run(v+"/"+tt.file, func(t *testing.T) {
				b, err := os.ReadFile(filepath.Join("testdata", v, tt.file+".txt"))
				if err != nil {
					t.Fatalf("%v (regenerate with sudo builder/diagnose/testdata/capture.sh)", err)
				}
				d := Diagnose(string(b), tt.ev)
				if d.Kind != tt.kind || d.Rule != tt.rule {
					t.Fatalf("got %s by rule %q, want %s by %q\nmessage: %s\nhint: %s", d.Kind, d.Rule, tt.kind, tt.rule, d.Message, d.Hint)
				}
				for _, s := range tt.message {
					if !strings.Contains(d.Message, s) {
						t.Errorf("message %q lacks %q", d.Message, s)
					}
				}
				for _, s := range tt.hint {
					if !strings.Contains(d.Hint, s) {
						t.Errorf("hint %q lacks %q", d.Hint, s)
					}
				}
				// Menus and notifications show the short action.
				if d.Action == "" || len([]rune(d.Action)) > actionMax || strings.Contains(d.Action, "nixpass ") || strings.Contains(d.Action, " -- ") || strings.Contains(d.Action, ":") {
					t.Errorf("action %q: want a remedy of at most %d characters, no command line", d.Action, actionMax)
				}
				if strings.Contains(d.Message, "Nix evaluation error") || strings.Contains(d.Hint, "nix-instantiate") && tt.ev.Project.Flake != "" {
					t.Errorf("stutter or flake hint with nix-instantiate: %q / %q", d.Message, d.Hint)
				}
				if tt.drv != (d.Drv != "") || (tt.drv && !strings.HasPrefix(d.Drv, "/nix/store/")) {
					t.Errorf("drv = %q, want one: %v", d.Drv, tt.drv)
				}
				// Nix 2.8 prints no position for a missing import.
				if v == "2.8" && (tt.file == "missing-outside" || tt.file == "flake-untracked") {
					tt.position = ""
				}
				if !strings.HasSuffix(d.Position, tt.position) || (tt.position != "") != (d.Position != "") {
					t.Errorf("position = %q, want …%q", d.Position, tt.position)
				}
			})
		}
	}
}

func withAttr(ev Evidence, file, attr string) Evidence {
	ev.Project.File, ev.Project.Attr = file, attr
	return ev
}

func withDir(ev Evidence, dir string) Evidence {
	ev.Project.Dir, ev.Project.File = dir, "default.nix"
	return ev
}

func withContains(ev Evidence, text string) Evidence {
	ev.Contains = func(s string) bool { return s == text }
	return ev
}

// TestUntrackedRepoPath: 2.34 names the repository as the builder sees
// it; the hint names it as the user does.
func TestUntrackedRepoPath(t *testing.T) {
	b, err := os.ReadFile("testdata/2.34/flake-untracked.txt")
	if err != nil {
		t.Fatal(err)
	}
	ev := vmEvidence()
	ev.Project, ev.GuestDir = builder.Project{Dir: "/Users/ana/src/app", Flake: ".#default"}, "/tmp/nixpass-capture/flake"
	if d := Diagnose(string(b), ev); !strings.Contains(d.Hint, "git -C /Users/ana/src/app add untracked.nix") {
		t.Errorf("hint %q", d.Hint)
	}
	ev.Project, ev.GuestDir = builder.Project{}, ""
	if d := Diagnose(string(b), ev); !strings.Contains(d.Hint, "git -C /tmp/nixpass-capture/flake add untracked.nix") {
		t.Errorf("hint without a project %q", d.Hint)
	}
	// 2.26 names only the file in the flake's store copy.
	b, err = os.ReadFile("testdata/2.26/flake-untracked.txt")
	if err != nil {
		t.Fatal(err)
	}
	ev.Project = builder.Project{Dir: "/Users/ana/src/app", Flake: ".#default"}
	if d := Diagnose(string(b), ev); !strings.Contains(d.Hint, "git -C /Users/ana/src/app add untracked.nix") {
		t.Errorf("2.26 hint %q", d.Hint)
	}
}

// TestSocketDeniedOnDebian: the host's real daemon socket, for a user
// outside nix-users (only the host runs a daemon).
func TestSocketDeniedOnDebian(t *testing.T) {
	for _, f := range []string{"setup-socket-denied-auto", "setup-socket-denied-daemon"} {
		b, err := os.ReadFile("testdata/2.8/" + f + ".txt")
		if err != nil {
			t.Fatal(err)
		}
		d := Diagnose(string(b), localEvidence())
		if d.Kind != builder.KindUnavailable || !strings.Contains(d.Message, "/nix/var/nix/daemon-socket/socket denies access") ||
			!strings.Contains(d.Hint, "sudo usermod -aG nix-users ana") {
			t.Errorf("%s: %s %q / %q", f, d.Kind, d.Message, d.Hint)
		}
	}
}

// TestFetchGitOn28: Nix 2.8 runs git for fetchGit and prints git's own
// error (the roots have no git, so only the host's Nix is captured).
func TestFetchGitOn28(t *testing.T) {
	b, err := os.ReadFile("testdata/2.8/network-fetchgit.txt")
	if err != nil {
		t.Fatal(err)
	}
	d := Diagnose(string(b), vmEvidence())
	if d.Kind != builder.KindNetwork || !strings.Contains(d.Message, "http://nixpass-unresolvable.invalid/repo.git/") || !strings.Contains(d.Message, "Could not resolve host") {
		t.Errorf("fetchGit: %s %q", d.Kind, d.Message)
	}
}

// TestSignalWording: a signal 9 is an OOM kill only with evidence, and
// "recorded no OOM kill" only when the evidence was readable.
func TestSignalWording(t *testing.T) {
	b, err := os.ReadFile("testdata/2.34/build-signal9.txt")
	if err != nil {
		t.Fatal(err)
	}
	local := func(o OOM) Evidence { ev := localEvidence(); ev.OOM = o; return ev }
	vm := func(o OOM) Evidence { ev := vmEvidence(); ev.OOM = o; return ev }
	tests := []struct {
		name    string
		log     string
		ev      Evidence
		kind    builder.Kind
		message []string
		not     []string
		hint    []string
	}{
		{"unreadable", string(b), local(OOM{}), builder.KindBuild, []string{"signal 9", "the kernel log could not be read"}, []string{"recorded no OOM kill"}, []string{"if memory is short", "memory limit, limited to 512 MiB", "8 GiB of RAM", "cores = 1"}},
		{"readable none", string(b), local(OOM{Readable: true, Source: "/proc/vmstat oom_kill"}), builder.KindBuild, []string{"/proc/vmstat oom_kill recorded no OOM kill"}, []string{"could not be read"}, []string{"if memory is short"}},
		{"killed vm", string(b), vm(OOM{Readable: true, Killed: true, Source: "memory.events", Line: "Memory cgroup out of memory: Killed process 2315 (busybox)"}), builder.KindOOM, []string{"ran out of memory", "Killed process 2315"}, nil, []string{"4 GiB", "nixpass vm resize --memory 8G", "cores = 2"}},
		{"killed counter only", string(b), local(OOM{Readable: true, Killed: true, Source: "/proc/vmstat oom_kill"}), builder.KindOOM, []string{"ran out of memory", "(/proc/vmstat oom_kill)"}, nil, []string{"512 MiB"}},
		{"nix itself killed, no log", "", local(OOM{}), builder.KindBuild, []string{"nix was killed by signal 9; the kernel log could not be read"}, nil, []string{"if memory is short"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.log == "" {
				tt.ev.Signal = 9
			}
			d := Diagnose(tt.log, tt.ev)
			if d.Kind != tt.kind {
				t.Fatalf("kind %s, want %s: %s", d.Kind, tt.kind, d.Message)
			}
			for _, s := range tt.message {
				if !strings.Contains(d.Message, s) {
					t.Errorf("message %q lacks %q", d.Message, s)
				}
			}
			for _, s := range tt.not {
				if strings.Contains(d.Message, s) {
					t.Errorf("message %q says %q", d.Message, s)
				}
			}
			for _, s := range tt.hint {
				if !strings.Contains(d.Hint, s) {
					t.Errorf("hint %q lacks %q", d.Hint, s)
				}
			}
		})
	}
}

// TestOldTexts keeps the texts of builder/testdata/nix working.
func TestOldTexts(t *testing.T) {
	for file, want := range map[string]builder.Kind{
		"2.8-eval-type.txt": builder.KindEval, "2.8-eval-undefined.txt": builder.KindEval, "2.8-eval-attr.txt": builder.KindEval,
		"2.18-eval-trace.txt": builder.KindEval, "2.28-eval-attr.txt": builder.KindEval,
		"2.8-build-exit.txt": builder.KindBuild, "2.8-build-signal9.txt": builder.KindBuild, "2.18-build-exit.txt": builder.KindBuild,
		"2.18-build-signal9.txt": builder.KindBuild, "2.28-build-exit.txt": builder.KindBuild, "2.28-build-signal9.txt": builder.KindBuild,
		"2.8-disk-full.txt": builder.KindDiskFull, "2.18-disk-full-store.txt": builder.KindDiskFull,
	} {
		b, err := os.ReadFile(filepath.Join("..", "testdata", "nix", file))
		if err != nil {
			t.Fatal(err)
		}
		if d := Diagnose(string(b), Evidence{}); d.Kind != want {
			t.Errorf("%s: %s (%s), want %s", file, d.Kind, d.Message, want)
		}
	}
	if d := Diagnose("these 2 derivations will be built:\n", Evidence{}); d.Kind != builder.KindOK {
		t.Errorf("a log without an error: %s", d.Kind)
	}
}

// TestHostOSHints: Linux users get no Homebrew and no "Mac".
func TestHostOSHints(t *testing.T) {
	b, err := os.ReadFile("testdata/2.8/network-fetchtarball.txt")
	if err != nil {
		t.Fatal(err)
	}
	ev := vmEvidence()
	ev.HostOS = "linux"
	d := Diagnose(string(b), ev)
	if strings.Contains(d.Hint, "Mac") || !strings.Contains(d.Hint, "from this machine") {
		t.Errorf("linux VM hint: %s", d.Hint)
	}
}

// TestNoNixFile: the project's own file missing is a usage error; the
// same text about another file is a missing import.
func TestNoNixFile(t *testing.T) {
	const log = "error: getting status of '/p/default.nix': No such file or directory\n"
	if d := Diagnose(log, Evidence{Project: builder.Project{Dir: "/p", File: "default.nix"}}); d.Kind != builder.KindConfig {
		t.Errorf("project's own file: %s %q", d.Kind, d.Message)
	}
	if d := Diagnose(log, Evidence{Project: builder.Project{Dir: "/p", File: "image.nix"}}); d.Kind != builder.KindEval {
		t.Errorf("another file: %s %q", d.Kind, d.Message)
	}
	if d := Diagnose(log, Evidence{}); d.Kind != builder.KindEval {
		t.Errorf("no project: %s %q", d.Kind, d.Message)
	}
}

// TestHumanGiB: memory limits below a GiB (a cgroup's) in MiB, the rest in
// GiB as Multipass sizes are.
func TestHumanGiB(t *testing.T) {
	for n, want := range map[int64]string{200 << 20: "200 MiB", 8 << 30: "8 GiB", 1536 << 20: "1.5 GiB"} {
		if got := builder.HumanGiB(n); got != want {
			t.Errorf("builder.HumanGiB(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestDiagnoseKinds: every kind the table can return is a builder kind
// with its own exit code and title.
func TestDiagnoseKinds(t *testing.T) {
	known := []builder.Kind{builder.KindOK, builder.KindConfig, builder.KindEval, builder.KindBuild, builder.KindOOM, builder.KindDiskFull, builder.KindUnavailable, builder.KindNetwork, builder.KindPlatform, builder.KindPush}
	for _, k := range Kinds {
		if !slices.Contains(known, builder.Kind(k)) || builder.Kind(k).Title() == string(k) {
			t.Errorf("diagnose kind %q is not a builder kind with a title", k)
		}
	}
}

func TestMissingPathInNixWordings(t *testing.T) {
	tests := map[string]string{
		// Nix 2.8 (this host), import and readFile.
		"error: getting status of '/src/mono/lib/image.nix': No such file or directory": "/src/mono/lib/image.nix",
		"error: opening file '/src/mono/nolib/x': No such file or directory":            "/src/mono/nolib/x",
		// Nix 2.26 and 2.34 (the CI roots), under "… while calling the 'import' builtin".
		"error:\n       … while calling the 'import' builtin\n         at /src/mono/app/default.nix:1:1:\n\n       error: path '/src/mono/lib/image.nix' does not exist": "/src/mono/lib/image.nix",
		"error: undefined variable 'x'": "",
	}
	for log, want := range tests {
		if got := Diagnose(log, Evidence{}).Missing; got != want {
			t.Errorf("the missing file of %q = %q, want %q", log, got, want)
		}
	}
}

// Every rule of the table has a short action, whatever the evidence.
func TestEveryRuleHasAnAction(t *testing.T) {
	for _, r := range Rules {
		if r.Action == nil {
			t.Errorf("rule %s has no Action", r.Name)
			continue
		}
		for _, ev := range []Evidence{{}, vmEvidence(), localEvidence()} {
			for _, m := range []Match{{}, {Signal: 9}} {
				if a := r.Action(m, &ev); a == "" || len([]rune(a)) > actionMax {
					t.Errorf("rule %s: action %q", r.Name, a)
				}
			}
		}
	}
	limited := localEvidence()
	limited.Machine.MemLimit, limited.Machine.Memory = 200<<20, 8<<30
	if got := limited.memoryAction(); got != "Give the build more memory (limit 200 MiB)" {
		t.Errorf("memoryAction = %q", got)
	}
}
