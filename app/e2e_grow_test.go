//go:build linux

package main

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"nixpass/builder"
	"nixpass/builder/multipass/multipasstest"
)

// An OOM build in the VM (through the fake multipass, whose exec runs the
// real script here, in a 200 MiB memory cgroup): with auto_grow, nixpass
// stops the VM, sets its memory to double, starts it and builds once more,
// and writes the new size to [vm] memory with the file's comments kept;
// without it, exit 4 with the resize hint and nothing changed; with no
// room under max_memory, the message says so.
func TestVMOOMGrowsMemory(t *testing.T) {
	needNix(t)
	tests := []struct {
		name, vm  string
		grow      bool
		hint      []string
		suggested int64
	}{
		{"auto_grow", "auto_grow = true\nmax_memory = \"16G\"\n", true, nil, 0},
		{"ask", "max_memory = \"16G\"\n", false, []string{"nixpass vm resize --memory 8G", "auto_grow = true"}, 8 << 30},
		{"no room", "auto_grow = true\nmax_memory = \"4G\"\n", false, []string{"needs more than [vm] max_memory (4 GiB)", "raise max_memory"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			fake := multipasstest.Build(t)
			env, _, logPath := multipasstest.NewWorld(t, multipasstest.FakeInstance{Name: "nixpass", State: "Running", CPUs: 2, Memory: 4 << 30, Disk: 20 << 30})
			w.env = append(append(w.env, env...), "NIXPASS_GUEST_SCRIPT_DIR="+t.TempDir())
			dir := w.project("app", imageNix(fmt.Sprintf("e2e-grow-%d", rand.IntN(1e9)), `exec "$bb" awk 'BEGIN { s = "xxxxxxxxxxxxxxxx"; while (1) s = s s }'`))
			cfg := fmt.Sprintf("# my nixpass\n[builder]\nbackend = \"multipass\"\nmultipass = %q\n\n[vm]\n# keep this comment\nmemory = \"4G\" # and this one\n%s\n[[project]]\npath = %q\n", fake, tt.vm, dir)
			w.writeConfig(cfg)
			w.limitMemory(200 << 20)
			o := w.run("build", dir, "--json")
			if o.code != 4 || o.res.Kind != builder.KindOOM {
				t.Fatalf("want exit 4 (oom) after the attempts, got %v", o)
			}
			calls := multipasstest.Calls(t, logPath)
			var ops [][]string
			builds := 0
			for _, c := range calls {
				switch {
				case c[0] == "stop" || c[0] == "set" || c[0] == "start":
					ops = append(ops, c)
				case c[0] == "exec" && slices.Contains(c, "--token"):
					builds++
					ops = append(ops, []string{"build"})
				}
			}
			// The first exec may find no script (installed, then run again).
			for len(ops) > 1 && ops[0][0] == "build" && ops[1][0] == "build" {
				ops = ops[1:]
			}
			want := [][]string{{"build"}}
			if tt.grow {
				want = [][]string{{"build"}, {"stop", "nixpass"}, {"set", "local.nixpass.memory=8G"}, {"start", "nixpass"}, {"build"}}
			}
			if !slices.EqualFunc(ops, want, slices.Equal) {
				t.Errorf("multipass calls %q, want %q (all: %q)", ops, want, calls)
			}
			got := string(readFile(t, w.config))
			if tt.grow {
				wantCfg := strings.Replace(cfg, `memory = "4G" # and this one`, `memory = "8G" # and this one`, 1)
				if got != wantCfg {
					t.Errorf("config after growing:\n%s\nwant:\n%s", got, wantCfg)
				}
				if !strings.Contains(o.res.Warning, "grew the builder VM to 8 GiB") {
					t.Errorf("the result does not say nixpass grew the VM: %q", o.res.Warning)
				}
			} else if got != cfg {
				t.Errorf("the config changed without growing:\n%s", got)
			}
			for _, h := range tt.hint {
				if !strings.Contains(o.res.Hint, h) {
					t.Errorf("hint %q lacks %q", o.res.Hint, h)
				}
			}
			if o.res.GrowMemory != tt.suggested {
				t.Errorf("grow_memory %d, want %d", o.res.GrowMemory, tt.suggested)
			}
		})
	}
}
