package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// info prints `info --format json` (json_formatter.cpp): counts and disk
// sizes are strings, memory and load are numbers; a stopped instance has
// an empty memory object, a disk without "used", no address, no load and
// no release.
func info(args []string) {
	p := parseArgs(args, [][]string{{"format"}}, [][]string{{"all"}, {"no-runtime-information"}, {"snapshots"}})
	w := openWorld()
	defer w.close()
	names := p.pos
	if p.has("all") {
		names = w.names()
	} else if len(names) == 0 {
		usage("Name argument or --all is required")
	}
	var missing []string
	for _, n := range names {
		if _, ok := w.Instances[n]; !ok {
			missing = append(missing, fmt.Sprintf("instance %q does not exist", n))
		}
	}
	if len(missing) > 0 {
		fail(exitFailed, "info", strings.Join(missing, "\n"))
	}
	out := map[string]any{}
	for _, n := range names {
		out[n] = infoEntry(w.Instances[n])
	}
	printJSON(map[string]any{"errors": []any{}, "info": out})
}

func infoEntry(in *instance) map[string]any {
	mounts := map[string]any{}
	for target, src := range in.Mounts {
		mounts[target] = map[string]any{
			"gid_mappings": []string{strconv.Itoa(os.Getgid()) + ":default"},
			"source_path":  src,
			"uid_mappings": []string{strconv.Itoa(os.Getuid()) + ":default"},
		}
	}
	e := map[string]any{
		"cpu_count":      strconv.Itoa(in.CPUs),
		"disks":          map[string]any{"sda1": map[string]string{"total": strconv.FormatInt(in.Disk, 10)}},
		"image_hash":     "f0e3a3d4c1e2b5a6",
		"image_release":  "24.04 LTS",
		"ipv4":           []string{},
		"load":           []float64{},
		"memory":         map[string]any{},
		"mounts":         mounts,
		"release":        "",
		"snapshot_count": "0",
		"state":          in.State,
		"zone":           map[string]any{"available": true, "name": "zone1"},
	}
	if in.running() {
		used := int64(3 << 30)
		if used > in.Disk/2 {
			used = in.Disk / 2
		}
		e["disks"] = map[string]any{"sda1": map[string]string{"total": strconv.FormatInt(in.Disk, 10), "used": strconv.FormatInt(used, 10)}}
		e["ipv4"] = []string{"192.168.64.5"}
		e["load"] = []float64{0.12, 0.08, 0.03}
		// The guest kernel keeps some memory for itself.
		e["memory"] = map[string]int64{"total": in.Memory - in.Memory/50, "used": in.Memory / 10}
		e["release"] = in.release()
	}
	return e
}

func (in *instance) release() string {
	if in.Release == "" {
		return defaultRelease
	}
	return in.Release
}

// list prints `list --format json`; a release that is not known while the
// instance is down reads "Not Available".
func list(args []string) {
	parseArgs(args, [][]string{{"format"}}, [][]string{{"snapshots"}, {"no-ipv4"}})
	w := openWorld()
	defer w.close()
	items := []map[string]any{}
	for _, n := range w.names() {
		in := w.Instances[n]
		ip, rel := []string{}, "Not Available"
		if in.running() {
			ip, rel = []string{"192.168.64.5"}, in.release()
		}
		items = append(items, map[string]any{"name": n, "state": in.State, "ipv4": ip, "release": rel,
			"zone": map[string]any{"available": true, "name": "zone1"}})
	}
	printJSON(map[string]any{"list": items})
}

func printJSON(v any) {
	b, _ := json.MarshalIndent(v, "", "    ")
	fmt.Println(string(b))
}

// validName is utils::valid_hostname.
var validName = regexp.MustCompile(`^([a-zA-Z]|[a-zA-Z][a-zA-Z0-9-]*[a-zA-Z0-9])$`)

// launch follows launch.cpp (client-side checks, exit 1) and the daemon's
// create_vm (sizes and name, then the name being free, exit 2).
func launch(args []string) {
	p := parseArgs(args,
		[][]string{{"name", "n"}, {"cpus", "c"}, {"memory", "m"}, {"mem"}, {"disk", "d"}, {"cloud-init"}, {"timeout"}, {"mount"}, {"network"}},
		[][]string{{"bridged"}})
	if len(p.pos) > 1 {
		usage("Too many arguments supplied")
	}
	in := &instance{State: "Running", CPUs: 1, Image: "lts", Mounts: map[string]string{}}
	if len(p.pos) == 1 {
		in.Image = p.pos[0]
	}
	if p.has("cpus") {
		n, err := strconv.Atoi(p.value("cpus"))
		if err != nil || n < 1 {
			usage(fmt.Sprintf("Error: invalid CPU count '%s', need a positive integer value.", p.value("cpus")))
		}
		in.CPUs = n
	}
	memArg, diskArg := p.value("memory"), p.value("disk")
	if p.has("mem") {
		memArg = p.value("mem")
	}
	// The client parses sizes first; a malformed one escapes as an
	// unhandled exception (top_catch_all), exit 1.
	for _, s := range []string{memArg, diskArg} {
		if _, ok := parseSize(s); s != "" && !ok {
			fmt.Fprintf(os.Stderr, "[error] [client] Caught an unhandled exception: %s\n", invalidSizeText(s))
			exit(exitCommandLine)
		}
	}
	mounts := [][2]string{}
	for _, m := range p.opts["mount"] {
		src, target, _ := strings.Cut(m, ":")
		checkSource("Mount source path", src)
		mounts = append(mounts, [2]string{src, target})
	}
	if p.has("cloud-init") {
		in.CloudInit = p.value("cloud-init")
		st, err := os.Stat(in.CloudInit)
		if err != nil || !st.Mode().IsRegular() {
			usage(fmt.Sprintf("Could not load cloud-init configuration: bad file: %s\nPlease ensure that Multipass can read it.", in.CloudInit))
		}
		b, err := os.ReadFile(in.CloudInit)
		if err != nil {
			usage(fmt.Sprintf("Could not load cloud-init configuration: bad file: %s\nPlease ensure that Multipass can read it.", in.CloudInit))
		}
		in.CloudInitData = string(b)
	}
	if p.has("timeout") {
		if n, err := strconv.Atoi(p.value("timeout")); err != nil || n <= 0 {
			usage("error: --timeout value has to be a positive integer")
		}
	}

	w := openWorld()
	defer w.close()
	in.Name = p.value("name")
	if !p.has("name") {
		in.Name = fmt.Sprintf("fake-%d", len(w.Instances)+1)
	}
	// The daemon checks the arguments before the name being free.
	var details []string
	mem, memOK := parseSize(orDefault(memArg, "1G"))
	if !memOK || mem < 512<<20 {
		details = append(details, fmt.Sprintf("Invalid memory size value supplied: %s.", memArg))
	}
	disk, diskOK := parseSize(orDefault(diskArg, "5G"))
	if !diskOK || disk < 1<<30 {
		details = append(details, fmt.Sprintf("Invalid disk size value supplied: %s.", diskArg))
	}
	if !validName.MatchString(in.Name) {
		details = append(details, fmt.Sprintf("Invalid instance name supplied: %s", in.Name))
	}
	if len(details) > 0 {
		fail(exitFailed, "launch", "Invalid arguments supplied", details...)
	}
	in.Memory, in.Disk = mem, disk
	if _, taken := w.Instances[in.Name]; taken {
		fail(exitFailed, "launch", fmt.Sprintf("instance %q already exists", in.Name))
	}
	if msg := os.Getenv(envLaunchFail); msg != "" {
		fail(exitFailed, "launch", msg)
	}
	for _, m := range mounts {
		in.Mounts[mountTarget(m[0], m[1])] = absPath(m[0])
	}
	w.Instances[in.Name] = in
	w.save()
	fmt.Printf("Launched: %s\n", in.Name)
	for _, m := range mounts {
		fmt.Printf("Mounted '%s' into '%s:%s'\n", m[0], in.Name, mountTarget(m[0], m[1]))
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// lifecycle runs start, stop, suspend, restart, delete and recover on the
// named instances (or all of them with --all).
func lifecycle(verb string, args []string) {
	p := parseArgs(args, [][]string{{"time", "t"}, {"timeout"}}, [][]string{{"all"}, {"force"}, {"cancel", "c"}, {"purge", "p"}})
	w := openWorld()
	defer w.close()
	names := p.pos
	if p.has("all") {
		names = w.names()
	} else if len(names) == 0 {
		usage("Name argument or --all is required")
	}
	for _, n := range names {
		switch verb {
		case "start", "restart":
			in := w.operative(verb, n)
			if msg := os.Getenv(envStartFail); msg != "" {
				fail(exitFailed, verb, msg)
			}
			in.State = "Running"
		case "stop":
			in := w.operative(verb, n)
			in.State = "Stopped"
		case "suspend":
			in := w.operative(verb, n)
			if in.running() {
				in.State = "Suspended"
			}
		case "delete":
			w.need(verb, n)
			if p.has("purge") {
				delete(w.Instances, n)
			} else {
				w.Instances[n].State = "Deleted"
			}
		case "recover":
			in := w.need(verb, n)
			if in.State == "Deleted" {
				in.State = "Stopped"
			}
		}
	}
	w.save()
}

// purge removes every deleted instance for good.
func purge(args []string) {
	parseArgs(args, nil, nil)
	w := openWorld()
	defer w.close()
	for n, in := range w.Instances {
		if in.State == "Deleted" {
			delete(w.Instances, n)
		}
	}
	w.save()
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}
