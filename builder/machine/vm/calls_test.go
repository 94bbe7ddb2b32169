package vm

import (
	"context"
	"os"
	"slices"
	"testing"

	"nixpass/builder"
	"nixpass/builder/multipass/multipasstest"
)

// callScenarios are the states a build can find the VM in, each with the
// Multipass calls a build then makes (issue 19, item 5: warm 2, cold 3,
// up but unprepared at most 4, from nothing at most 7). TestVMBuildCalls
// asserts them; BenchmarkVMBuildCalls prints them.
var callScenarios = []struct {
	name string
	// max is the bound; want the calls' verbs, in order.
	max  int
	want []string
	// reset turns a VM that has just built p (running, p mounted, the
	// script installed) into the scenario's.
	reset func(tb testing.TB, w *vmWorld, p builder.Project)
}{
	{"warm", 2, []string{"info", "exec"}, func(testing.TB, *vmWorld, builder.Project) {}},
	{"cold", 3, []string{"info", "start", "exec"}, func(tb testing.TB, w *vmWorld, _ builder.Project) {
		if err := w.vm.Stop(context.Background()); err != nil {
			tb.Fatal(err)
		}
	}},
	// Up but not prepared: running, the project not mounted and this
	// version of the script not installed (a VM made by hand, or one a
	// new nixpass meets).
	{"unprepared", 4, []string{"info", "mount", "exec"}, func(tb testing.TB, w *vmWorld, p builder.Project) {
		if err := w.vm.Client.Umount(context.Background(), w.vm.Name, p.Dir); err != nil {
			tb.Fatal(err)
		}
		w.vm.GuestScriptDir = freshDir(tb)
	}},
	// From nothing: no VM, created on first use.
	{"new", 7, []string{"info", "launch", "mount", "exec"}, func(tb testing.TB, w *vmWorld, _ builder.Project) {
		if err := w.vm.Delete(context.Background()); err != nil {
			tb.Fatal(err)
		}
		w.vm.AutoCreate = true
		w.vm.GuestScriptDir = freshDir(tb)
	}},
}

// freshDir is an empty folder that does not exist yet: the fake's "VM"
// is this host, so a new VM's script folder is a new path.
func freshDir(tb testing.TB) string {
	d, err := os.MkdirTemp(tb.TempDir(), "guest-")
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.Remove(d); err != nil {
		tb.Fatal(err)
	}
	return d
}

// measuredBuild resets w into scenario i's state, builds p and returns
// the Multipass calls and their results that build made.
func measuredBuild(tb testing.TB, w *vmWorld, p builder.Project, i int) ([][]string, []multipasstest.Result) {
	tb.Helper()
	callScenarios[i].reset(tb, w, p)
	calls, results := len(multipasstest.Calls(tb, w.logPath)), len(multipasstest.Results(tb, w.logPath))
	if res := w.b.Build(context.Background(), p); !res.Succeeded() {
		tb.Fatalf("%s build: %+v", callScenarios[i].name, res)
	}
	return multipasstest.Calls(tb, w.logPath)[calls:], multipasstest.Results(tb, w.logPath)[results:]
}

func TestVMBuildCalls(t *testing.T) {
	for i, sc := range callScenarios {
		t.Run(sc.name, func(t *testing.T) {
			w := newVMWorld(t, nil, vmInstance)
			p := offlineProject(t, "vm-calls-"+sc.name, "")
			if res := w.b.Build(context.Background(), p); !res.Succeeded() {
				t.Fatalf("first build: %+v", res)
			}
			calls, results := measuredBuild(t, w, p, i)
			var verbs []string
			for _, c := range calls {
				verbs = append(verbs, c[0])
			}
			if len(calls) > sc.max || !slices.Equal(verbs, sc.want) {
				t.Errorf("%d calls %q, want %q (at most %d): %q", len(calls), verbs, sc.want, sc.max, calls)
			}
			if len(results) != len(calls) {
				t.Fatalf("%d results for %d calls", len(results), len(calls))
			}
			for _, r := range results {
				// Only a VM that does not exist may fail its info.
				if r.Exit != 0 && !(sc.name == "new" && r.Argv[0] == "info") {
					t.Errorf("multipass %q failed (exit %d)", r.Argv, r.Exit)
				}
			}
			if _, err := os.Stat(w.vm.scriptPath()); err != nil {
				t.Errorf("the script is not installed after the build: %v", err)
			}
		})
	}
}
