package human

import (
	"strings"
	"testing"
	"time"

	"nixpass/builder"
)

func TestTime(t *testing.T) {
	now := time.Date(2026, 12, 4, 16, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 12, 4, 15, 35, 0, 0, time.UTC), "15:35"},
		{time.Date(2026, 12, 3, 15, 35, 0, 0, time.UTC), "3 Dec 15:35"},
		{time.Date(2025, 12, 4, 15, 35, 0, 0, time.UTC), "4 Dec 2025 15:35"},
	} {
		if got := Time(tc.at, now, time.UTC); got != tc.want {
			t.Errorf("Time(%v) = %q, want %q", tc.at, got, tc.want)
		}
	}
}

func TestDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		500 * time.Millisecond:         "0.5 s",
		4 * time.Second:                "4 s",
		41 * time.Second:               "41 s",
		2*time.Minute + 5*time.Second:  "2 min 5 s",
		3 * time.Minute:                "3 min",
		time.Hour + 3*time.Minute + 20: "1 h 3 min",
	} {
		if got := Duration(d); got != want {
			t.Errorf("Duration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestCut(t *testing.T) {
	long := "give the VM more memory, then build again: the limit is 200 MiB and the build needs more"
	got := Cut(long, 60)
	if n := len([]rune(got)); n > 60 || !strings.HasSuffix(got, "…") || !strings.HasPrefix(long, strings.TrimSuffix(got, "…")) {
		t.Errorf("Cut = %q (%d chars)", got, n)
	}
	if got := Cut("short", 60); got != "short" {
		t.Errorf("Cut(short) = %q", got)
	}
}

func TestCleanAndFailingLine(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    builder.Result
		want string
	}{
		{"build: the failing line", builder.Result{Kind: builder.KindBuild, Project: "/src/api",
			Message: "the builder for /nix/store/0123456789abcdfghijklmnpqrsvwxyz-app.drv failed with exit code 2\nlast 3 log lines:\n> cc -c main.c\n> /src/api/main.c:3: error: expected ';'\n"},
			"main.c:3: error: expected ';'"},
		{"store path to its name, cgroup gone", builder.Result{Kind: builder.KindOOM,
			Message: "the builder for /nix/store/0123456789abcdfghijklmnpqrsvwxyz-image.drv ran out of memory (/sys/fs/cgroup/nix/memory.max)"},
			"the builder for image.drv ran out of memory"},
		{"no PATH list", builder.Result{Kind: builder.KindUnavailable,
			Message: "nix-build not found in PATH /usr/local/bin:/usr/bin:/bin:/opt/homebrew/bin:/home/a/.nix-profile/bin"},
			"nix-build not found in PATH"},
		{"no multipass command", builder.Result{Kind: builder.KindUnavailable,
			Message: `multipass info "nixpass": the multipass command was not found`},
			"the multipass command was not found"},
	} {
		if got := FailingLine(&tc.r); got != tc.want {
			t.Errorf("%s: FailingLine = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// Every kind has a mark, and every failure kind a short action (at most
// 60 characters, no command line).
func TestFaces(t *testing.T) {
	for k, f := range faces {
		if f.mark == "" {
			t.Errorf("%s has no mark", k)
		}
		if k == builder.KindOK || k == builder.KindCancelled {
			continue
		}
		if f.action == "" || len([]rune(f.action)) > 60 || strings.Contains(f.action, "nixpass ") {
			t.Errorf("%s action %q: want a short remedy, no command line", k, f.action)
		}
	}
	for _, k := range []builder.Kind{builder.KindOK, builder.KindConfig, builder.KindEval, builder.KindBuild, builder.KindOOM, builder.KindDiskFull,
		builder.KindUnavailable, builder.KindTimeout, builder.KindCancelled, builder.KindNetwork, builder.KindPlatform, builder.KindDocker} {
		if _, ok := faces[k]; !ok {
			t.Errorf("kind %s has no row in the table", k)
		}
	}
}
