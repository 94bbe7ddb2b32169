package main

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// transfer copies `transfer [-r] [-p] SOURCE... TARGET`. An instance path
// NAME:PATH is PATH on this host; the instance must exist and run (SFTP
// needs its SSH server). Copy errors print "[sftp] ..." and exit 2.
func transfer(args []string) {
	p := parseArgs(args, nil, [][]string{{"recursive", "r"}, {"parents", "p"}})
	if len(p.pos) < 2 {
		usage("Not enough arguments given")
	}
	srcs, dst := p.pos[:len(p.pos)-1], p.pos[len(p.pos)-1]
	_, dstInInstance := instanceName(dst)
	srcInInstance := false
	for _, s := range srcs {
		if _, ok := instanceName(s); ok {
			srcInInstance = true
		}
	}
	switch {
	case srcInInstance && dstInInstance:
		usage("Cannot specify an instance name for both source and destination")
	case !srcInInstance && !dstInInstance:
		usage("An instance name is needed for either source or destination")
	}

	w := openWorld()
	for _, s := range append(srcs[:len(srcs):len(srcs)], dst) {
		if name, ok := instanceName(s); ok {
			in := w.operative("transfer", name)
			if !in.running() {
				fail(exitFailed, "transfer", fmt.Sprintf("instance %q is not running", name))
			}
		}
	}
	w.close()

	target := hostPath(dst)
	if p.has("parents") {
		parent := target
		if len(srcs) == 1 && !strings.HasSuffix(dst, "/") {
			parent = filepath.Dir(target)
		}
		if err := os.MkdirAll(parent, 0o755); err != nil {
			sftpFail(err)
		}
	}
	targetIsDir := false
	if st, err := os.Stat(target); err == nil && st.IsDir() {
		targetIsDir = true
	} else if len(srcs) > 1 {
		sftpFail(fmt.Errorf("target %q is not a directory", dst))
	}
	for _, s := range srcs {
		from := hostPath(s)
		to := target
		if targetIsDir {
			to = filepath.Join(target, filepath.Base(from))
		}
		st, err := os.Stat(from)
		if err != nil {
			sftpFail(fmt.Errorf("cannot open %q: %w", s, err))
		}
		if st.IsDir() {
			if !p.has("recursive") {
				sftpFail(fmt.Errorf("cannot copy %q: source is a directory", s))
			}
			err = copyTree(from, to)
		} else {
			err = copyFile(from, to, st.Mode().Perm())
		}
		if err != nil {
			sftpFail(err)
		}
	}
}

func sftpFail(err error) {
	fmt.Fprintf(os.Stderr, "[sftp] %v\n", err)
	exit(exitFailed)
}

// instanceName returns NAME of NAME:PATH; a host path has a slash (or
// nothing) before its first colon.
func instanceName(p string) (string, bool) {
	name, _, ok := strings.Cut(p, ":")
	if !ok || name == "" || strings.ContainsRune(name, '/') {
		return "", false
	}
	return name, true
}

// hostPath maps NAME:PATH to PATH: the fake's instances share the host's
// files.
func hostPath(p string) string {
	if _, ok := instanceName(p); ok {
		_, rest, _ := strings.Cut(p, ":")
		return rest
	}
	return p
}

func copyFile(from, to string, perm fs.FileMode) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func copyTree(from, to string) error {
	return filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(dst, info.Mode().Perm()|0o700)
		}
		return copyFile(p, dst, info.Mode().Perm())
	})
}
