package vm

import (
	"context"
	"testing"

	"nixpass/builder/multipass/multipasstest"
)

// BenchmarkVMBuildCalls counts the multipass invocations of one build in
// each of callScenarios (warm, cold, up but unprepared, from nothing),
// from the fake's call log, and reports them as calls/build.
//
//	go test -run '^$' -bench VMBuildCalls -benchtime 3x ./builder/machine/vm
func BenchmarkVMBuildCalls(b *testing.B) {
	for _, sc := range callScenarios {
		b.Run(sc.name, func(b *testing.B) {
			w := newVMWorld(b, nil, vmInstance)
			p := offlineProject(b, "vm-bench-calls", "")
			if res := w.b.Build(context.Background(), p); !res.Succeeded() {
				b.Fatalf("first build: %+v", res)
			}
			total := 0
			for b.Loop() {
				b.StopTimer()
				sc.reset(b, w, p)
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
