package build

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"nixpass/builder"
	"nixpass/builder/store"
)

// TestExplainBuildLog: explain applies the build's OOM rule to the
// evidence a build log holds; an older log's kernel lines are said to be
// unattributable, not unreadable.
func TestExplainBuildLog(t *testing.T) {
	dir := t.TempDir()
	b := &Builder{Machine: &coresMachine{fits: 0}, NoOOMRetry: true,
		Store: &store.Store{StateDir: filepath.Join(dir, ".state"), LogDir: filepath.Join(dir, ".logs")}}
	res := b.Build(context.Background(), builder.Project{Dir: dir, File: "default.nix", Output: "result.tar.gz"})
	if res.Kind != builder.KindOOM {
		t.Fatalf("build: kind %s, want oom: %s", res.Kind, res.Message)
	}
	const drvLine = "error: builder for '/nix/store/6i53jg3gyvrnz4h2ca1qdvsi6gbxs1hj-app.drv' failed due to signal 9 (Killed)\n"
	tests := []struct {
		name, log   string
		kind        builder.Kind
		want, avoid string
	}{
		{"a build log with the kill in its cgroup", string(mustRead(t, res.Log)), builder.KindOOM,
			"ran out of memory: the kernel killed cc1plus (Memory cgroup out of memory: Killed process 42 (cc1plus) in memory cgroup /b, uid 999)", "could not be read"},
		{"an older log: kernel lines without window or cgroup",
			"# kmsg-read dmesg\n# kmsg [ 4716.385121] Memory cgroup out of memory: Killed process 7973 (busybox) total-vm:188640kB\n" + drvLine, builder.KindBuild,
			"this log's kernel lines could not be attributed to the build", "could not be read"},
		{"a log of the second attempt, which fitted no better",
			"# uptime 1\n# uptime-end 2\n# cgroup self /sys/fs/cgroup/memory/b\n# user-uid 0\n# kmsg-read dmesg\n# attempt 2: rebuilding with 1 job and 1 core after running out of memory\n" +
				"# uptime 300\n# uptime-end 310\n# cgroup self /sys/fs/cgroup/memory/b\n# user-uid 0\n# kmsg-read dmesg\n" + drvLine, builder.KindBuild,
			"recorded no OOM kill during the build", "ran out of memory"},
		{"a pasted Nix log", drvLine, builder.KindBuild, "the kernel log could not be read", "attributed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Explain(context.Background(), nil, tt.log)
			if d.Kind != tt.kind || !strings.Contains(d.Message, tt.want) || strings.Contains(d.Message, tt.avoid) {
				t.Errorf("got %s %q\nwant %s with %q, without %q", d.Kind, d.Message, tt.kind, tt.want, tt.avoid)
			}
		})
	}
}
