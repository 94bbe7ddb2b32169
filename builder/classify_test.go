package builder

import (
	"os"
	"strings"
	"testing"
)

func TestClassifyNixLog(t *testing.T) {
	tests := []struct {
		file     string
		kind     Kind
		what     string
		drv      string
		signal   int
		tail     string
		position string
	}{
		{"2.8-eval-type.txt", KindEval, "cannot add a string to an integer", "", 0, "", "/tmp/nt2/eval.nix:2:16"},
		{"2.8-eval-undefined.txt", KindEval, "undefined variable 'undefinedThing'", "", 0, "", "/tmp/nt2/undef.nix:1:11"},
		{"2.8-eval-attr.txt", KindEval, "attribute 'nope' in selection path 'nope' not found", "", 0, "", ""},
		{"2.18-eval-trace.txt", KindEval, "undefined variable 'pkgz'", "", 0, "", "/Users/ana/src/app/default.nix:8:16"},
		{"2.28-eval-attr.txt", KindEval, "does not provide attribute 'packages.x86_64-linux.imagee'", "", 0, "", ""},
		{"2.8-build-exit.txt", KindBuild, "builder for failing failed with exit code 3", "/nix/store/wf5m72adaw5ysbp0372r7pyjfrckz466-failing.drv", 0, "fatal: something broke", ""},
		{"2.8-build-signal9.txt", KindBuild, "failed due to signal 9 (Killed)", "/nix/store/6i53jg3gyvrnz4h2ca1qdvsi6gbxs1hj-oom.drv", 9, "", ""},
		{"2.18-build-exit.txt", KindBuild, "builder for app-0.1.0 failed with exit code 2", "/nix/store/0m3a5sbs1xh0r9wmm0b5qsq0zsh7hxw2-app-0.1.0.drv", 0, "make: *** [Makefile:4: app] Error 2", ""},
		{"2.18-build-signal9.txt", KindBuild, "failed due to signal 9 (Killed)", "/nix/store/0m3a5sbs1xh0r9wmm0b5qsq0zsh7hxw2-app-0.1.0.drv", 9, "cc1plus", ""},
		{"2.28-build-exit.txt", KindBuild, "builder for fail-probe-0.1.0 failed with exit code 3", "/nix/store/xxx7p4qybvbchb3fmdlz3b2a1hj7a2ck-fail-probe-0.1.0.drv", 0, "FATAL_ERROR_MARKER", ""},
		{"2.28-build-signal9.txt", KindBuild, "failed due to signal 9 (Killed)", "/nix/store/2gwqnav79y7va5jcjxy56c127haa5343-app-models-0.1.0.drv", 9, "Compiling Models.Big", ""},
		{"2.8-disk-full.txt", KindDiskFull, "No space left on device", "", 0, "", ""},
		{"2.18-disk-full-store.txt", KindDiskFull, "writing to file: No space left on device", "", 0, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := os.ReadFile("testdata/nix/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			f := classifyNixLog(string(b))
			if f.kind != tt.kind || !strings.Contains(f.what, tt.what) || f.drv != tt.drv || f.signal != tt.signal || f.position != tt.position {
				t.Errorf("got kind=%s what=%q drv=%q signal=%d pos=%q\nwant kind=%s what~%q drv=%q signal=%d pos=%q",
					f.kind, f.what, f.drv, f.signal, f.position, tt.kind, tt.what, tt.drv, tt.signal, tt.position)
			}
			if tt.tail != "" && !strings.Contains(strings.Join(f.tail, "\n"), tt.tail) {
				t.Errorf("tail %q lacks %q", f.tail, tt.tail)
			}
		})
	}
}

func TestKernelOOM(t *testing.T) {
	kmsg := []string{
		"[ 100.000001] Out of memory: Killed process 1111 (old) total-vm:1kB",
		"[ 2948.780713] Memory cgroup out of memory: Killed process 2315 (busybox) total-vm:221408kB, anon-rss:149152kB",
	}
	tests := []struct {
		since float64
		comm  string
		ok    bool
	}{
		{0, "old", true},
		{2000, "busybox", true},
		{3000, "", false},
	}
	for _, tt := range tests {
		line, comm, ok := kernelOOM(kmsg, tt.since)
		if ok != tt.ok || comm != tt.comm {
			t.Errorf("since %v: got %q %q %v", tt.since, line, comm, ok)
		}
		if ok && strings.Contains(line, "total-vm") {
			t.Errorf("line keeps the memory table: %q", line)
		}
	}
}

func TestKindExitCodes(t *testing.T) {
	want := map[Kind]int{KindOK: 0, KindConfig: 1, KindEval: 2, KindBuild: 3, KindOOM: 4, KindDiskFull: 5, KindUnavailable: 6, KindTimeout: 7, KindCancelled: 130}
	for k, code := range want {
		if got := k.ExitCode(); got != code {
			t.Errorf("%s.ExitCode() = %d, want %d", k, got, code)
		}
		if k.Title() == "" || (k != KindCancelled && k.Title() == string(k)) {
			t.Errorf("%s has no title", k)
		}
	}
}

func TestHumanSizes(t *testing.T) {
	for n, want := range map[int64]string{999: "999 B", 84_000_000: "84.0 MB", 1_032_047: "1.0 MB", 250_000_000_000: "250 GB"} {
		if got := HumanBytes(n); got != want {
			t.Errorf("HumanBytes(%d) = %q, want %q", n, got, want)
		}
	}
	if got := HumanGiB(8 << 30); got != "8 GiB" {
		t.Errorf("HumanGiB = %q", got)
	}
	if got := nextMemory(4<<30 - 100<<20); got != "8G" {
		t.Errorf("nextMemory = %q", got)
	}
}
