package main

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
)

// mount follows mount.cpp: `mount SOURCE NAME[:TARGET]...`. The source is
// checked on the client (exit 1), made absolute, then the daemon checks
// the instance and the target. A missing target means
// /home/ubuntu/<basename of SOURCE> (the contract's current releases).
func mount(args []string) {
	p := parseArgs(args, [][]string{{"type", "t"}, {"uid-map", "u"}, {"gid-map", "g"}}, nil)
	if len(p.pos) < 2 {
		usage("Not enough arguments given")
	}
	src := p.pos[0]
	checkSource("Source path", src)
	w := openWorld()
	defer w.close()
	for _, spec := range p.pos[1:] {
		name, target, _ := strings.Cut(spec, ":")
		in := w.operative("mount", name)
		target = mountTarget(src, target)
		if badTarget.MatchString(path.Clean(target)) {
			// Text unverified against Multipass; the rule is
			// utils::invalid_target_path.
			fail(exitFailed, "mount", fmt.Sprintf("unable to mount to %q", target))
		}
		if old, dup := in.Mounts[target]; dup {
			fail(exitFailed, "mount", fmt.Sprintf("%q is already mounted in '%s' (from %q)", target, name, old))
		}
		in.Mounts[target] = absPath(src)
	}
	w.save()
}

// badTarget is utils::invalid_target_path: targets that would hide the
// guest's root, /dev, /proc, /sys, /home or the default user's home.
var badTarget = regexp.MustCompile(`^(/+|/+(dev|proc|sys)(/.*)*|/+home(/*)(/ubuntu/*)*)$`)

func mountTarget(src, target string) string {
	if target == "" {
		return "/home/ubuntu/" + filepath.Base(filepath.Clean(src))
	}
	return target
}

// checkSource is the client's check of a folder to mount, with the
// message prefix of mount ("Source path") or launch --mount ("Mount
// source path").
func checkSource(prefix, src string) {
	st, err := os.Stat(src)
	switch {
	case err != nil:
		usage(fmt.Sprintf("%s %q does not exist", prefix, src))
	case !st.IsDir():
		usage(fmt.Sprintf("%s %q is not a directory", prefix, src))
	}
	f, err := os.Open(src)
	if err != nil {
		usage(fmt.Sprintf("%s %q is not readable", prefix, src))
	}
	f.Close()
}

// umount removes NAME:TARGET, or every mount of NAME.
func umount(args []string) {
	p := parseArgs(args, nil, [][]string{{"all"}})
	if len(p.pos) == 0 && !p.has("all") {
		usage("Not enough arguments given")
	}
	w := openWorld()
	defer w.close()
	for _, spec := range p.pos {
		name, target, _ := strings.Cut(spec, ":")
		in := w.need("umount", name)
		if target == "" {
			in.Mounts = map[string]string{}
			continue
		}
		if _, ok := in.Mounts[target]; !ok {
			fail(exitFailed, "umount", fmt.Sprintf("%q is not mounted", target))
		}
		delete(in.Mounts, target)
	}
	w.save()
}
