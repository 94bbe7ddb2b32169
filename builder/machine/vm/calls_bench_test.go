package vm

import (
	"context"
	"testing"

	"nixpass/builder"
	"nixpass/builder/multipass/multipasstest"
)

// BenchmarkVMBuildCalls counts the multipass invocations of one build,
// from the fake's call log, and reports them as calls/build: warm (VM
// running, project mounted, script installed, image up to date), cold
// (the VM stopped) and first (a VM never used: nothing mounted, no
// script installed).
//
//	go test -run '^$' -bench VMBuildCalls -benchtime 3x ./builder
func BenchmarkVMBuildCalls(b *testing.B) {
	for _, bc := range []struct {
		name  string
		reset func(b *testing.B, w *vmWorld, p builder.Project)
	}{
		{"warm", func(*testing.B, *vmWorld, builder.Project) {}},
		{"cold", func(b *testing.B, w *vmWorld, _ builder.Project) {
			if err := w.vm.Stop(context.Background()); err != nil {
				b.Fatal(err)
			}
		}},
		{"first", func(b *testing.B, w *vmWorld, p builder.Project) {
			if err := w.vm.Client.Umount(context.Background(), "nixpass", p.Dir); err != nil {
				b.Fatal(err)
			}
			w.vm.GuestScriptDir = b.TempDir()
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			w := newVMWorld(b, nil, vmInstance)
			p := offlineProject(b, "vm-bench-calls", "")
			if res := w.b.Build(context.Background(), p); !res.Succeeded() {
				b.Fatalf("first build: %+v", res)
			}
			total := 0
			for b.Loop() {
				b.StopTimer()
				bc.reset(b, w, p)
				before := len(multipasstest.Calls(b, w.logPath))
				b.StartTimer()
				if res := w.b.Build(context.Background(), p); !res.Succeeded() {
					b.Fatalf("build: %+v", res)
				}
				b.StopTimer()
				total += len(multipasstest.Calls(b, w.logPath)) - before
				b.StartTimer()
			}
			b.ReportMetric(float64(total)/float64(b.N), "calls/build")
		})
	}
}
