// Command fake-multipass stands in for the multipass CLI in tests. It
// follows shared/multipass-cli.md: the same verbs, JSON shapes and types,
// exit codes and error texts. Its "VM" is the host: exec runs commands
// here (after shell-quoting and joining them, as the real client does),
// transfer copies host paths, mounts are bookkeeping.
//
// Environment:
//
//	FAKE_MULTIPASS_STATE        JSON file holding the instances (required)
//	FAKE_MULTIPASS_LOG          append each invocation's argv as a JSON line
//	FAKE_MULTIPASS_DAEMON_DOWN  =1: every command fails as if multipassd were down
//	FAKE_MULTIPASS_LAUNCH_FAIL  launch fails with this message
//	FAKE_MULTIPASS_START_FAIL   start fails with this message
//	FAKE_MULTIPASS_EXEC_FAIL    =1: exec fails with "exec failed: ..." (255)
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

type instance struct {
	Name      string            `json:"name"`
	State     string            `json:"state"`
	CPUs      int               `json:"cpus"`
	Memory    int64             `json:"memory"`
	Disk      int64             `json:"disk"`
	Image     string            `json:"image"`
	CloudInit string            `json:"cloud_init,omitempty"`
	Mounts    map[string]string `json:"mounts"` // target -> source
}

type world struct {
	Instances map[string]*instance `json:"instances"`
}

var statePath = os.Getenv("FAKE_MULTIPASS_STATE")

func load() *world {
	w := &world{Instances: map[string]*instance{}}
	b, err := os.ReadFile(statePath)
	if err == nil {
		_ = json.Unmarshal(b, w)
	}
	if w.Instances == nil {
		w.Instances = map[string]*instance{}
	}
	return w
}

func (w *world) save() {
	b, _ := json.MarshalIndent(w, "", "  ")
	tmp := statePath + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err == nil {
		_ = os.Rename(tmp, statePath)
	}
}

// fail prints a daemon error the way the client does and exits.
func fail(code int, cmd, msg string) {
	fmt.Fprintf(os.Stderr, "%s failed: %s\n", cmd, msg)
	os.Exit(code)
}

func usage(msg string) {
	fmt.Fprintln(os.Stderr, msg)
	os.Exit(1)
}

func main() {
	args := os.Args[1:]
	if p := os.Getenv("FAKE_MULTIPASS_LOG"); p != "" {
		if f, err := os.OpenFile(p, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
			b, _ := json.Marshal(args)
			f.Write(append(b, '\n'))
			f.Close()
		}
	}
	if len(args) == 0 {
		usage("Usage: multipass [options] <command>")
	}
	cmd, rest := args[0], args[1:]
	if os.Getenv("FAKE_MULTIPASS_DAEMON_DOWN") == "1" {
		if cmd == "version" {
			fmt.Println(`{"multipass": "1.16.1+mac"}`)
			return
		}
		fmt.Fprintf(os.Stderr, "%s failed: cannot connect to the multipass socket\nPlease ensure multipassd is running and '/var/run/multipass_socket' is accessible\n", cmd)
		os.Exit(3)
	}
	w := load()
	switch cmd {
	case "version":
		fmt.Println(`{"multipass": "1.16.1+mac", "multipassd": "1.16.1+mac"}`)
	case "info":
		info(w, rest)
	case "list":
		list(w)
	case "launch":
		launch(w, rest)
	case "start", "stop", "suspend", "restart", "delete", "recover":
		lifecycle(w, cmd, rest)
	case "purge":
		for n, in := range w.Instances {
			if in.State == "Deleted" {
				delete(w.Instances, n)
			}
		}
		w.save()
	case "mount":
		mount(w, rest)
	case "umount":
		umount(w, rest)
	case "get", "set":
		settings(w, cmd, rest)
	case "transfer":
		transfer(rest)
	case "exec":
		execute(w, rest)
	default:
		usage(fmt.Sprintf("Unknown command: '%s'", cmd))
	}
}

func need(w *world, cmd, name string) *instance {
	in, ok := w.Instances[name]
	if !ok {
		fail(2, cmd, fmt.Sprintf("instance %q does not exist", name))
	}
	return in
}

func info(w *world, args []string) {
	var name string
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "--format":
			i++
		default:
			name = args[i]
		}
	}
	in := need(w, "info", name)
	entry := map[string]any{
		"cpu_count":      strconv.Itoa(in.CPUs),
		"image_hash":     "f0e3a3d4",
		"image_release":  "24.04 LTS",
		"snapshot_count": "0",
		"state":          in.State,
		"zone":           map[string]any{"available": true, "name": "zone1"},
		"ipv4":           []string{},
		"load":           []float64{},
		"memory":         map[string]any{},
		"disks":          map[string]any{"sda1": map[string]string{"total": strconv.FormatInt(in.Disk, 10)}},
		"release":        "",
	}
	if in.State == "Running" {
		entry["ipv4"] = []string{"192.168.64.5"}
		entry["load"] = []float64{0.12, 0.08, 0.03}
		// The guest reports a little less memory than it was given.
		entry["memory"] = map[string]int64{"total": in.Memory - in.Memory/50, "used": 713596928}
		entry["disks"] = map[string]any{"sda1": map[string]string{"total": strconv.FormatInt(in.Disk, 10), "used": "3221225472"}}
		entry["release"] = "Ubuntu 24.04.1 LTS"
	}
	mounts := map[string]any{}
	for target, src := range in.Mounts {
		mounts[target] = map[string]any{"gid_mappings": []string{"20:default"}, "source_path": src, "uid_mappings": []string{"501:default"}}
	}
	entry["mounts"] = mounts
	out, _ := json.MarshalIndent(map[string]any{"errors": []any{}, "info": map[string]any{name: entry}}, "", "    ")
	fmt.Println(string(out))
}

func list(w *world) {
	var items []map[string]any
	names := make([]string, 0, len(w.Instances))
	for n := range w.Instances {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		in := w.Instances[n]
		ip := []string{}
		if in.State == "Running" {
			ip = []string{"192.168.64.5"}
		}
		items = append(items, map[string]any{"name": n, "state": in.State, "ipv4": ip, "release": "Ubuntu 24.04 LTS"})
	}
	out, _ := json.MarshalIndent(map[string]any{"list": items}, "", "    ")
	fmt.Println(string(out))
}

// parseSize reads Multipass sizes: bytes, or a decimal with K/M/G.
func parseSize(s string) (int64, bool) {
	mult := int64(1)
	t := strings.ToUpper(s)
	for _, suf := range []struct {
		s string
		m int64
	}{{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30}, {"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(t, suf.s) {
			t, mult = strings.TrimSuffix(t, suf.s), suf.m
			break
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f < 0 {
		return 0, false
	}
	return int64(f * float64(mult)), true
}

func launch(w *world, args []string) {
	in := &instance{CPUs: 1, Memory: 1 << 30, Disk: 5 << 30, State: "Running", Mounts: map[string]string{}, Image: "lts"}
	for i := 0; i < len(args); i++ {
		a := args[i]
		val := func() string {
			if i+1 >= len(args) {
				usage("Missing value for option " + a)
			}
			i++
			return args[i]
		}
		switch a {
		case "-n", "--name":
			in.Name = val()
		case "-c", "--cpus":
			n, err := strconv.Atoi(val())
			if err != nil || n < 1 {
				usage("error: Invalid CPUs value supplied: " + args[i])
			}
			in.CPUs = n
		case "-m", "--memory":
			v := val()
			n, ok := parseSize(v)
			if !ok || n < 512<<20 {
				usage("Invalid memory size value supplied: " + v + ".")
			}
			in.Memory = n
		case "-d", "--disk":
			v := val()
			n, ok := parseSize(v)
			if !ok || n < 1<<30 {
				usage("Invalid disk size value supplied: " + v + ".")
			}
			in.Disk = n
		case "--cloud-init":
			in.CloudInit = val()
			if _, err := os.Stat(in.CloudInit); err != nil {
				usage("error loading cloud-init config: bad file")
			}
		case "--timeout":
			val()
		default:
			if strings.HasPrefix(a, "-") {
				usage("Unknown option '" + a + "'.")
			}
			in.Image = a
		}
	}
	if in.Name == "" {
		in.Name = "primary"
	}
	if _, ok := w.Instances[in.Name]; ok {
		fail(2, "launch", fmt.Sprintf("instance %q already exists", in.Name))
	}
	if msg := os.Getenv("FAKE_MULTIPASS_LAUNCH_FAIL"); msg != "" {
		fail(2, "launch", msg)
	}
	fmt.Printf("Launched: %s\n", in.Name)
	w.Instances[in.Name] = in
	w.save()
}

func lifecycle(w *world, cmd string, args []string) {
	var names []string
	purge := false
	for _, a := range args {
		switch a {
		case "--force":
		case "--purge", "-p":
			purge = true
		default:
			names = append(names, a)
		}
	}
	if len(names) == 0 {
		usage("Name argument or --all is required")
	}
	for _, n := range names {
		in := need(w, cmd, n)
		switch cmd {
		case "start", "restart":
			if in.State == "Deleted" {
				fail(2, cmd, fmt.Sprintf("instance %q is deleted", n))
			}
			if msg := os.Getenv("FAKE_MULTIPASS_START_FAIL"); msg != "" {
				fail(2, cmd, msg)
			}
			in.State = "Running"
		case "stop":
			in.State = "Stopped"
		case "suspend":
			in.State = "Suspended"
		case "delete":
			if purge {
				delete(w.Instances, n)
			} else {
				in.State = "Deleted"
			}
		case "recover":
			if in.State == "Deleted" {
				in.State = "Stopped"
			}
		}
	}
	w.save()
}

func mount(w *world, args []string) {
	if len(args) != 2 {
		usage("Not enough arguments")
	}
	src, spec := args[0], args[1]
	name, target, ok := strings.Cut(spec, ":")
	if !ok || target == "" {
		target = "/home/ubuntu/" + src[strings.LastIndex(src, "/")+1:]
	}
	st, err := os.Stat(src)
	switch {
	case err != nil:
		usage(fmt.Sprintf("Source path %q does not exist", src))
	case !st.IsDir():
		usage(fmt.Sprintf("Source path %q is not a directory", src))
	}
	in := need(w, "mount", name)
	if in.Mounts == nil {
		in.Mounts = map[string]string{}
	}
	if _, dup := in.Mounts[target]; dup {
		fail(2, "mount", fmt.Sprintf("%q is already mounted in %q", target, name))
	}
	in.Mounts[target] = src
	w.save()
}

func umount(w *world, args []string) {
	for _, a := range args {
		name, target, _ := strings.Cut(a, ":")
		in := need(w, "umount", name)
		if target == "" {
			in.Mounts = map[string]string{}
		} else {
			delete(in.Mounts, target)
		}
	}
	w.save()
}

func settings(w *world, cmd string, args []string) {
	if len(args) != 1 {
		usage("Need exactly one setting")
	}
	key, value, _ := strings.Cut(args[0], "=")
	parts := strings.Split(key, ".")
	if len(parts) != 3 || parts[0] != "local" {
		fail(2, cmd, "Unrecognized settings key: '"+key+"'")
	}
	in := need(w, cmd, parts[1])
	if cmd == "get" {
		switch parts[2] {
		case "cpus":
			fmt.Println(in.CPUs)
		case "memory":
			fmt.Printf("%d\n", in.Memory)
		case "disk":
			fmt.Printf("%d\n", in.Disk)
		}
		return
	}
	if in.State != "Stopped" {
		fail(2, "set", "Cannot update instance settings; instance: "+in.Name+"; reason: Instance must be stopped for modification")
	}
	switch parts[2] {
	case "cpus":
		n, err := strconv.Atoi(value)
		if err != nil || n < 1 {
			fail(2, "set", "Invalid CPU count")
		}
		in.CPUs = n
	case "memory":
		n, ok := parseSize(value)
		if !ok || n < 512<<20 {
			fail(2, "set", "Invalid memory size value supplied: "+value+".")
		}
		in.Memory = n
	case "disk":
		n, ok := parseSize(value)
		if !ok {
			fail(2, "set", "Invalid disk size value supplied: "+value+".")
		}
		if n < in.Disk {
			fail(2, "set", "Cannot update instance settings; instance: "+in.Name+"; reason: Disk can only be expanded")
		}
		in.Disk = n
	}
	w.save()
}

// hostPath maps NAME:PATH to PATH: the fake VM shares the host's files.
func hostPath(p string) string {
	if i := strings.IndexByte(p, ':'); i > 0 && !strings.ContainsRune(p[:i], '/') {
		return p[i+1:]
	}
	return p
}

func transfer(args []string) {
	var paths []string
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			paths = append(paths, a)
		}
	}
	if len(paths) < 2 {
		usage("Not enough arguments")
	}
	src, dst := hostPath(paths[0]), hostPath(paths[len(paths)-1])
	in, err := os.Open(src)
	if err != nil {
		fail(2, "transfer", err.Error())
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		fail(2, "transfer", err.Error())
	}
	if _, err := io.Copy(out, in); err != nil {
		fail(2, "transfer", err.Error())
	}
	out.Close()
}

// quote is the POSIX single-quoting the real client applies to each
// argument before joining them into one command line.
func quote(s string) string {
	if s == "" {
		return "''"
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func execute(w *world, args []string) {
	if len(args) < 1 {
		usage("Not enough arguments")
	}
	name := args[0]
	args = args[1:]
	dir := ""
	for len(args) > 0 && args[0] != "--" {
		switch args[0] {
		case "-d", "--working-directory":
			if len(args) < 2 {
				usage("Missing value for option -d")
			}
			dir, args = args[1], args[2:]
		case "-n", "--no-map-working-directory":
			args = args[1:]
		default:
			usage("Unknown option '" + args[0] + "'")
		}
	}
	if len(args) < 2 {
		usage("Wrong number of arguments")
	}
	args = args[1:]
	in := need(w, "exec", name)
	if in.State == "Deleted" {
		fail(2, "exec", fmt.Sprintf("instance %q is deleted", name))
	}
	if in.State != "Running" {
		// The real client starts a stopped instance and retries.
		in.State = "Running"
		w.save()
	}
	if os.Getenv("FAKE_MULTIPASS_EXEC_FAIL") == "1" {
		fmt.Fprintln(os.Stderr, "exec failed: ssh connection failed: 'Socket error: Connection reset by peer'")
		os.Exit(255)
	}
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = quote(a)
	}
	c := exec.Command("sh", "-c", strings.Join(quoted, " "))
	c.Dir = dir
	c.Stdin, c.Stdout, c.Stderr = os.Stdin, os.Stdout, os.Stderr
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// Like SSH, a local signal to the client does not reach the remote
	// command: nothing is forwarded, only the fake itself dies.
	signal.Ignore(syscall.SIGHUP)
	if err := c.Run(); err != nil {
		var xe *exec.ExitError
		if errors.As(err, &xe) {
			if st, ok := xe.Sys().(syscall.WaitStatus); ok && st.Signaled() {
				os.Exit(128 + int(st.Signal()))
			}
			os.Exit(xe.ExitCode())
		}
		fmt.Fprintf(os.Stderr, "exec failed: %v\n", err)
		os.Exit(255)
	}
}
