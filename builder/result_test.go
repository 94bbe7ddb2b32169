package builder_test

import (
	"testing"

	"nixpass/builder"
	"nixpass/builder/diagnose"
)

func TestKindExitCodes(t *testing.T) {
	want := map[builder.Kind]int{builder.KindOK: 0, builder.KindConfig: 1, builder.KindEval: 2, builder.KindBuild: 3, builder.KindOOM: 4, builder.KindDiskFull: 5, builder.KindUnavailable: 6, builder.KindTimeout: 7, builder.KindCancelled: 130, builder.KindNetwork: 8, builder.KindPlatform: 9, builder.KindDocker: 10, builder.KindCache: 12}
	for k, code := range want {
		if got := k.ExitCode(); got != code {
			t.Errorf("%s.ExitCode() = %d, want %d", k, got, code)
		}
		if k.Title() == "" || (k != builder.KindCancelled && k.Title() == string(k)) {
			t.Errorf("%s has no title", k)
		}
	}
}

func TestHumanSizes(t *testing.T) {
	for n, want := range map[int64]string{999: "999 B", 84_000_000: "84.0 MB", 1_032_047: "1.0 MB", 250_000_000_000: "250 GB"} {
		if got := builder.HumanBytes(n); got != want {
			t.Errorf("HumanBytes(%d) = %q, want %q", n, got, want)
		}
	}
	if got := builder.HumanGiB(8 << 30); got != "8 GiB" {
		t.Errorf("HumanGiB = %q", got)
	}
	if got := diagnose.NextMemory(4<<30 - 100<<20); got != "8G" {
		t.Errorf("nextMemory = %q", got)
	}
}
