package local

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"

	"nixpass/builder"
	"nixpass/builder/machine"
	"nixpass/builder/runner"
)

var _ machine.Realiser = (*Machine)(nil)

// Realised implements machine.Realiser: one Nix process, run directly
// (argv, no shell), with --max-jobs 0 and no remote builders, so it finds
// or substitutes p's output but never builds it. It runs without the
// builder lock: an up-to-date project never waits behind another
// project's build. A foreign --system is asked too: with --max-jobs 0
// nothing runs, so finding its output needs no emulation (the script,
// which builds, first checks that this host can emulate it).
func (l *Machine) Realised(ctx context.Context, p builder.Project) (string, []byte, bool) {
	if !l.Remote.Empty() && l.viaDaemon() && !l.trustOK.Load() {
		// The trust check a build makes, once per process: its verdict
		// (and whether to pass the settings at all) holds here too.
		if l.checkTrusted(ctx) != nil {
			return "", nil, false
		}
		l.trustOK.Store(true)
	}
	bin, ok := nixBin()
	if !ok {
		return "", nil, false
	}
	settings := append(l.NixOptions(), machine.Setting{Name: "builders", Value: ""})
	if p.System != "" {
		settings = append(settings, machine.Setting{Name: "system", Value: p.System})
	}
	var name string
	var args []string
	if p.Flake != "" {
		name = filepath.Join(bin, "nix")
		args = append([]string{"--extra-experimental-features", "nix-command flakes", "build", "--no-link", "--json", "--max-jobs", "0"}, p.Args...)
		args = append(args, "--", p.Flake)
	} else {
		name = filepath.Join(bin, "nix-build")
		file := p.File
		if !filepath.IsAbs(file) {
			// ./FILE: a project file named -E is a file to Nix, not an
			// option (nix-build has no --).
			file = "./" + file
		}
		args = []string{"--no-out-link", "--max-jobs", "0", file}
		if p.Attr != "" {
			args = append(args, "-A", p.Attr)
		}
		args = append(args, p.Args...)
	}
	var stdout, stderr bytes.Buffer
	_, err := l.runner().Run(ctx, runner.Cmd{Name: name, Args: args, Dir: p.Dir,
		Env: machine.NixConfigEnv(settings), Stdout: &stdout, Stderr: &stderr})
	if err != nil {
		return "", nil, false
	}
	var path string
	if p.Flake != "" {
		path = flakeOut(stdout.Bytes())
	} else {
		path, _, _ = strings.Cut(stdout.String(), "\n")
	}
	if path == "" {
		return "", nil, false
	}
	return path, stderr.Bytes(), true
}

// flakeOut is the image in what `nix build --json` printed: the first
// installable's "out" output.
func flakeOut(b []byte) string {
	var res []struct {
		Outputs map[string]string `json:"outputs"`
	}
	if json.Unmarshal(b, &res) != nil || len(res) == 0 {
		return ""
	}
	// Without "out", the script takes the first output as printed, an
	// order a map loses: "" leaves that case to the script.
	return res[0].Outputs["out"]
}

// nixBin is the folder holding nix-build, searched as the script's
// find_nix does: the Nix profiles first, then PATH.
func nixBin() (string, bool) {
	dirs := []string{"/nix/var/nix/profiles/default/bin"}
	if h := os.Getenv("HOME"); h != "" {
		dirs = append(dirs, filepath.Join(h, ".nix-profile/bin"))
	}
	dirs = append(dirs, "/run/current-system/sw/bin", "/usr/bin", "/usr/local/bin")
	dirs = append(dirs, filepath.SplitList(os.Getenv("PATH"))...)
	for _, d := range dirs {
		if st, err := os.Stat(filepath.Join(d, "nix-build")); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return d, true
		}
	}
	return "", false
}
