package main

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// settingKey is instance_settings_handler.cpp's key pattern.
var settingKey = regexp.MustCompile(`^local\.(.+)\.(cpus|memory|disk|bridged)$`)

// getSetting prints local.NAME.cpus|memory|disk as the daemon does:
// sizes human-readable.
func getSetting(args []string) {
	p := parseArgs(args, nil, [][]string{{"raw"}, {"keys"}})
	if len(p.pos) != 1 {
		usage("Need exactly one setting key.")
	}
	name, prop := instanceKey("get", p.pos[0])
	w := openWorld()
	defer w.close()
	in, ok := w.Instances[name]
	if !ok {
		fail(exitFailed, "get", fmt.Sprintf("Cannot obtain instance settings; instance: %s; reason: No such instance", name))
	}
	switch prop {
	case "cpus":
		fmt.Println(in.CPUs)
	case "memory":
		fmt.Println(humanReadable(in.Memory))
	case "disk":
		fmt.Println(humanReadable(in.Disk))
	case "bridged":
		fmt.Println("false")
	}
}

// setSetting changes local.NAME.cpus|memory|disk in the daemon's order:
// the instance must exist and not be deleted, must be stopped, then the
// value must be valid. Remote failures print "set failed: ..." (exit 2).
func setSetting(args []string) {
	p := parseArgs(args, nil, nil)
	if len(p.pos) != 1 {
		usage("Need exactly one key-value pair (in <key>=<value> form).")
	}
	key, val, ok := strings.Cut(p.pos[0], "=")
	if !ok || key == "" {
		usage("Bad key-value format.")
	}
	name, prop := instanceKey("set", key)
	w := openWorld()
	defer w.close()
	update := func(reason string) {
		fail(exitFailed, "set", fmt.Sprintf("Cannot update instance settings; instance: %s; reason: %s", name, reason))
	}
	invalid := func(why string) {
		fail(exitFailed, "set", fmt.Sprintf("Invalid setting '%s=%s': %s", key, val, why))
	}
	in, ok := w.Instances[name]
	switch {
	case !ok:
		update("No such instance")
	case in.State == "Deleted":
		update("Instance is deleted")
	case in.State != "Stopped":
		update("Instance must be stopped for modification")
	}
	switch prop {
	case "cpus":
		n, err := strconv.Atoi(val)
		if err != nil || n < 1 {
			invalid("Need a positive integer (in decimal format) of minimum 1")
		}
		in.CPUs = n
	case "memory", "disk":
		n, ok := parseSize(val)
		switch {
		case !ok:
			invalid(invalidSizeText(val))
		case n == 0:
			invalid("Need a positive size.")
		case prop == "memory" && n < 512<<20:
			invalid("Memory less than 512M minimum not allowed")
		case prop == "disk" && n < in.Disk:
			invalid("Disk can only be expanded")
		}
		if prop == "memory" {
			in.Memory = n
		} else {
			in.Disk = n
		}
	case "bridged":
		invalid("the fake has no networks")
	}
	w.save()
}

// instanceKey splits local.NAME.PROPERTY. Keys outside "local." are the
// client's own settings, which the fake does not have.
func instanceKey(verb, key string) (name, prop string) {
	m := settingKey.FindStringSubmatch(key)
	if m != nil {
		return m[1], m[2]
	}
	if strings.HasPrefix(key, "local.") {
		fail(exitFailed, verb, fmt.Sprintf("Unrecognized settings key: '%s'", key))
	}
	fmt.Fprintf(os.Stderr, "Unrecognized settings key: '%s'\n", key)
	exit(exitCommandLine)
	return "", ""
}
