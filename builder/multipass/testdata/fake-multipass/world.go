package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"syscall"
)

// instance is one instance of the fake's world. The JSON names are shared
// with multipasstest.FakeInstance, which writes the initial world.
type instance struct {
	Name  string `json:"name"`
	State string `json:"state"`
	CPUs  int    `json:"cpus"`
	// Memory and Disk are the configured sizes, in bytes.
	Memory int64 `json:"memory"`
	Disk   int64 `json:"disk"`
	// Release is what info reports while it runs; "" means the default.
	Release string `json:"release,omitempty"`
	Image   string `json:"image,omitempty"`
	// CloudInit is the --cloud-init path launch was given, and
	// CloudInitData what that file held then.
	CloudInit     string `json:"cloud_init,omitempty"`
	CloudInitData string `json:"cloud_init_data,omitempty"`
	// Mounts maps targets inside the instance to host folders.
	Mounts map[string]string `json:"mounts"`
}

const defaultRelease = "Ubuntu 24.04.1 LTS"

type world struct {
	Instances map[string]*instance `json:"instances"`
	path      string
	lock      *os.File
}

// openWorld locks and loads the state file. Invocations run concurrently
// (an exec streams while info polls), so each holds an exclusive lock
// from load to save; exec lets go before it runs its command.
func openWorld() *world {
	path := os.Getenv(envState)
	if path == "" {
		fmt.Fprintf(os.Stderr, "fake-multipass: %s is not set\n", envState)
		exit(70)
	}
	lock, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		fmt.Fprintf(os.Stderr, "fake-multipass: %v\n", err)
		exit(70)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		fmt.Fprintf(os.Stderr, "fake-multipass: lock state: %v\n", err)
		exit(70)
	}
	w := &world{path: path, lock: lock}
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		fmt.Fprintf(os.Stderr, "fake-multipass: %v\n", err)
		exit(70)
	}
	if len(b) > 0 {
		if err := json.Unmarshal(b, w); err != nil {
			fmt.Fprintf(os.Stderr, "fake-multipass: state %s: %v\n", path, err)
			exit(70)
		}
	}
	if w.Instances == nil {
		w.Instances = map[string]*instance{}
	}
	for name, in := range w.Instances {
		in.Name = name
		if in.Mounts == nil {
			in.Mounts = map[string]string{}
		}
	}
	return w
}

// save writes the world atomically; the lock stays held until close.
func (w *world) save() {
	b, err := json.MarshalIndent(w, "", "  ")
	if err == nil {
		tmp := w.path + ".tmp"
		if err = os.WriteFile(tmp, b, 0o644); err == nil {
			err = os.Rename(tmp, w.path)
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "fake-multipass: save state: %v\n", err)
		exit(70)
	}
}

// close releases the lock (exiting does too).
func (w *world) close() {
	if w.lock != nil {
		w.lock.Close()
		w.lock = nil
	}
}

// names lists the instances in a stable order.
func (w *world) names() []string {
	var n []string
	for name := range w.Instances {
		n = append(n, name)
	}
	sort.Strings(n)
	return n
}

// need returns the instance or fails the verb the way the daemon does.
func (w *world) need(verb, name string) *instance {
	in, ok := w.Instances[name]
	if !ok {
		fail(exitFailed, verb, fmt.Sprintf("instance %q does not exist", name))
	}
	return in
}

// operative returns the instance unless it is missing or deleted
// (daemon.cpp: require_operative_instances_reaction).
func (w *world) operative(verb, name string) *instance {
	in := w.need(verb, name)
	if in.State == "Deleted" {
		fail(exitFailed, verb, fmt.Sprintf("instance %q is deleted", name))
	}
	return in
}

func (in *instance) running() bool {
	return in.State == "Running" || in.State == "Delayed Shutdown"
}
