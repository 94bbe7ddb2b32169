package diagnose

import (
	"fmt"
	"strings"

	"nixpass/builder"
	"nixpass/builder/shq"
)

// hint collects the commands a hint shows, so that tests can run each of
// them against stubs and prove the quoting.
type hint struct {
	cmds []string
	// argvs holds, per command, the argv of each of its steps.
	argvs [][][]string
}

// cmd quotes argv for a POSIX shell and records it.
func (h *hint) cmd(argv ...string) string {
	s := shq.Join(argv...)
	h.cmds = append(h.cmds, s)
	h.argvs = append(h.argvs, [][]string{argv})
	return s
}

// and records commands run one after the other ("a && b").
func (h *hint) and(argvs ...[]string) string {
	parts := make([]string, len(argvs))
	for i, a := range argvs {
		parts[i] = shq.Join(a...)
	}
	s := strings.Join(parts, " && ")
	h.cmds = append(h.cmds, s)
	h.argvs = append(h.argvs, argvs)
	return s
}

func (ev *Evidence) vm() bool { return ev.Machine.VM != "" }

// hostName is how hints name the computer the user sits at.
func (ev *Evidence) hostName() string {
	if ev.HostOS == "darwin" {
		return "the Mac"
	}
	return "this machine"
}

// where names the builder for messages.
func (ev *Evidence) where() string {
	if ev.vm() {
		return fmt.Sprintf("the builder VM %q", ev.Machine.VM)
	}
	return "this machine"
}

func (ev *Evidence) user() string {
	if ev.User != "" {
		return ev.User
	}
	return "$USER"
}

// recreateVM is the fix for a VM whose Nix is broken: make it again.
func (ev *Evidence) recreateVM(h *hint) string {
	return "recreate the builder VM (its Nix is not set up): " +
		h.and([]string{"nixpass", "vm", "delete", "--yes"}, []string{"nixpass", "vm", "create"})
}

// RoundGiB rounds a guest-reported memory total (a little under the
// configured size) to whole GiB.
func RoundGiB(n int64) int64 {
	g := (n + (1<<30)/2) >> 30
	if g < 1 {
		g = 1
	}
	return g << 30
}

// NextMemory suggests double the memory, in Multipass size syntax.
func NextMemory(mem int64) string {
	if mem <= 0 {
		return "8G"
	}
	return fmt.Sprintf("%dG", 2*(RoundGiB(mem)>>30))
}

// fewerJobs suggests a lighter nix.conf, never more cores than exist.
func (ev *Evidence) fewerJobs() string {
	cores := ev.Machine.CPUs / 2
	if cores < 1 {
		cores = 1
	}
	conf := "/etc/nix/nix.conf"
	if ev.vm() {
		conf = "the VM's /etc/nix/nix.conf"
	}
	return fmt.Sprintf("build with fewer parallel jobs (max-jobs = 1, cores = %d in %s)", cores, conf)
}

// memoryHint says how to give builds more memory, quoting the limit that
// applied: the VM's memory, or a cgroup limit below the host's RAM.
func (ev *Evidence) memoryHint(h *hint) string {
	m := ev.Machine
	if ev.vm() {
		have := "the builder VM's memory"
		if m.Memory > 0 {
			have = "the builder VM has " + builder.HumanGiB(RoundGiB(m.Memory)) + " of memory"
		}
		return fmt.Sprintf("%s: give it more with: %s — or %s", have,
			h.cmd("nixpass", "vm", "resize", "--memory", NextMemory(m.Memory)), ev.fewerJobs())
	}
	if m.MemLimit > 0 && (m.Memory == 0 || m.MemLimit < m.Memory) {
		ram := ""
		if m.Memory > 0 {
			ram = " (this machine has " + builder.HumanGiB(m.Memory) + " of RAM)"
		}
		where := "under a memory limit,"
		if m.MemLimitCgroup != "" {
			where = "in the memory cgroup " + m.MemLimitCgroup + ","
		}
		return fmt.Sprintf("the build ran %s limited to %s%s: raise that limit (memory.max, memory.limit_in_bytes, or MemoryMax= of the service it runs under), or %s",
			where, builder.HumanGiB(m.MemLimit), ram, ev.fewerJobs())
	}
	have := ""
	if m.Memory > 0 {
		have = "this machine has " + builder.HumanGiB(m.Memory) + " of RAM: "
	}
	return have + "close memory-hungry programs, or " + ev.fewerJobs()
}

// checkCommand is how to re-run the failing evaluation by hand: flakes
// with nix eval/flake check, files with nix-instantiate.
func (ev *Evidence) checkCommand(h *hint) string {
	p := ev.Project
	switch {
	case p.Flake != "":
		return h.and([]string{"cd", p.Dir}, []string{"nix", "flake", "check"})
	case p.File != "":
		argv := []string{"nix-instantiate", p.File}
		if p.Attr != "" {
			argv = append(argv, "-A", p.Attr)
		}
		argv = append(argv, p.Args...)
		return h.and([]string{"cd", p.Dir}, argv)
	}
	return ""
}
