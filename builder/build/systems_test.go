package build

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"nixpass/builder"
	"nixpass/builder/docker/dockertest"
	"nixpass/builder/store"
)

// systemsMachine plays the build script for each --system: it writes an
// image of that system's architecture where the script writes its
// temporary image, with a store path of its own per system and version,
// answers up-to-date for --last with that store path, and fails the
// systems in fail. Like the script, a run whose own output is up to date
// then says, for each --also SYSTEM LAST SIZE ROOTNAME, whether that
// system's store path is still LAST (unless verdict overrides it).
type systemsMachine struct {
	t       *testing.T
	version string
	// versions override version for some systems.
	versions map[string]string
	// verdict overrides the system-check verdict of some systems.
	verdict map[string]string
	fail    map[string]bool
	mu      sync.Mutex
	// calls are the arguments of each run, in order.
	calls [][]string
}

func (m *systemsMachine) Describe() string { return "the test machine" }
func (m *systemsMachine) Prepare(ctx context.Context, dir string, progress func(string)) (string, error) {
	return dir, nil
}
func (m *systemsMachine) Status(ctx context.Context) builder.BuilderStatus {
	return builder.BuilderStatus{}
}

func (m *systemsMachine) RunScript(ctx context.Context, token string, args []string, stdout, stderr io.Writer) (int, error) {
	m.mu.Lock()
	m.calls = append(m.calls, args)
	m.mu.Unlock()
	sys, dir, output, last := "x86_64-linux", "", "", ""
	for i := 0; i+1 < len(args); i++ {
		switch args[i] {
		case "--system":
			sys = args[i+1]
		case "--dir":
			dir = args[i+1]
		case "--output":
			output = args[i+1]
		case "--last":
			last = args[i+1]
		}
	}
	if m.fail[sys] {
		fmt.Fprintf(stderr, "error: builder for '/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-image-%s.drv' failed with exit code 1\n", sys)
		return 1, nil
	}
	storePath := m.storePath(sys)
	fmt.Fprintf(stdout, "@nixpass store-path %s\n", storePath)
	if last == storePath {
		fmt.Fprint(stdout, "@nixpass up-to-date\n")
		for i := slices.Index(args, "--also"); i >= 0 && i+4 < len(args); i += 5 {
			other, verdict, path := args[i+1], "changed", m.storePath(args[i+1])
			if path == args[i+2] {
				verdict = "up-to-date"
			}
			if v, ok := m.verdict[other]; ok {
				verdict = v
			}
			fmt.Fprintf(stdout, "@nixpass system-check %s %s %s\n", other, verdict, path)
			if i+5 >= len(args) || args[i+5] != "--also" {
				break
			}
		}
		return 0, nil
	}
	arch := map[string]string{"x86_64-linux": "amd64", "aarch64-linux": "arm64"}[sys]
	name := tempPrefix(output) + token
	v := m.versionOf(sys)
	dockertest.ArchiveFor(m.t, filepath.Join(dir, name), sys+v, arch, "app:"+v)
	fmt.Fprintf(stdout, "@nixpass temp %s\n", name)
	return 0, nil
}

func (m *systemsMachine) versionOf(sys string) string {
	if v, ok := m.versions[sys]; ok {
		return v
	}
	return m.version
}

func (m *systemsMachine) storePath(sys string) string {
	return "/nix/store/" + sys + "-" + m.versionOf(sys) + "-image.tar.gz"
}

// systemsOf are the --system values of calls ("" for none).
func systemsOf(calls [][]string) []string {
	var out []string
	for _, a := range calls {
		s := ""
		if i := slices.Index(a, "--system"); i >= 0 {
			s = a[i+1]
		}
		out = append(out, s)
	}
	return out
}

func systemsWorld(t *testing.T) (*Builder, *systemsMachine, *fakePusher, builder.Project) {
	t.Helper()
	dir := t.TempDir()
	m := &systemsMachine{t: t, version: "v1"}
	f := &fakePusher{}
	b := &Builder{Machine: m, System: "x86_64-linux", Pusher: f,
		Store: &store.Store{StateDir: filepath.Join(t.TempDir(), "state"), LogDir: filepath.Join(dir, "logs")}}
	return b, m, f, builder.Project{Dir: dir, File: "default.nix", Output: "result.tar.gz", Push: "reg.test/team/app",
		Systems: []string{"aarch64-linux", "x86_64-linux"}}
}

// TestSystemsBuildEach: one build request builds the builder's own
// system first, into the project's file, then the other into the state
// folder, with its own root; the push gets both files, the own first;
// an unchanged rebuild pushes nothing and copies nothing.
func TestSystemsBuildEach(t *testing.T) {
	b, m, f, p := systemsWorld(t)
	res := b.Build(context.Background(), p)
	if res.Kind != builder.KindOK || res.Platform != "linux/amd64" || !strings.Contains(res.Message, "aarch64-linux: built (") {
		t.Fatalf("build: %s %q (%s)", res.Kind, res.Message, res.Hint)
	}
	if got := systemsOf(m.calls); !slices.Equal(got, []string{"", "aarch64-linux"}) {
		t.Errorf("script runs for systems %q, want the own (no --system) then aarch64-linux", got)
	}
	if !slices.Contains(m.calls[1], filepath.Join(b.Store.RootDir(), store.RootName(p.Dir, "aarch64-linux"))) {
		t.Errorf("the aarch64-linux build has no root of its own: %q", m.calls[1])
	}
	if len(res.Attempts) != 2 || res.Attempts[0].System != "x86_64-linux" || res.Attempts[1].System != "aarch64-linux" {
		t.Errorf("attempts %+v, want one per system, named", res.Attempts)
	}
	good := b.Store.LastGood(p.Dir)
	arm, ok := good.Systems["aarch64-linux"]
	if !ok || arm.Platform != "linux/arm64" || arm.Output != b.Store.SystemImagePath(p.Dir, "aarch64-linux", p.Output) || !arm.Intact() {
		t.Fatalf("the aarch64-linux image is not kept in the state folder: %+v", good)
	}
	if good.Output != filepath.Join(p.Dir, "result.tar.gz") || good.Platform != "linux/amd64" {
		t.Errorf("the project's file is not the own system's image: %+v", good)
	}
	if len(f.reqs) != 1 || !slices.Equal(f.reqs[0].Files, []string{good.Output, arm.Output}) {
		t.Fatalf("push requests %+v, want one with the amd64 then the arm64 file", f.reqs)
	}

	m.calls = nil
	res = b.Build(context.Background(), p)
	if res.Kind != builder.KindOK || !res.UpToDate || len(f.reqs) != 1 || res.Push == nil || res.Push.LayersUploaded != 0 {
		t.Fatalf("unchanged rebuild: %s up to date %v, %d pushes; want ok, up to date, no new push", res.Kind, res.UpToDate, len(f.reqs))
	}
	// The no-op is one script run, told the other system's last image.
	wantAlso := []string{"--also", "aarch64-linux", arm.StorePath, fmt.Sprint(arm.Size), store.RootName(p.Dir, "aarch64-linux")}
	if len(m.calls) != 1 || !containsRun(m.calls[0], wantAlso) {
		t.Fatalf("unchanged rebuild ran the script %d times, want once with %q: %q", len(m.calls), wantAlso, m.calls)
	}
	if !strings.Contains(res.Message, "aarch64-linux: up to date") {
		t.Errorf("message %q does not say the arm64 image is up to date", res.Message)
	}
	if kept := b.Store.LastGood(p.Dir).Systems["aarch64-linux"]; kept.StorePath != arm.StorePath || !kept.Intact() {
		t.Errorf("the no-op lost the arm64 image's record: %+v", kept)
	}

	// nixpass push sends both again.
	if _, err := b.PushImage(context.Background(), p, p.Push, nil); err != nil || len(f.reqs) != 2 || len(f.reqs[1].Files) != 2 {
		t.Fatalf("push: %v, %+v", err, f.reqs)
	}
	// A new arm64 image (only) is pushed again by the next build.
	m.version = "v2"
	if res := b.Build(context.Background(), p); res.Kind != builder.KindOK || res.UpToDate || len(f.reqs) != 3 {
		t.Errorf("build of v2: %s, %d pushes; want a new push", res.Kind, len(f.reqs))
	}
}

// TestSystemsFailureNamesTheSystem: a failure in one system fails the
// build with that failure's kind and says which system; nothing is
// pushed; the own image stays in place as the last good one.
func TestSystemsFailureNamesTheSystem(t *testing.T) {
	b, m, f, p := systemsWorld(t)
	m.fail = map[string]bool{"aarch64-linux": true}
	res := b.Build(context.Background(), p)
	if res.Kind != builder.KindBuild || !strings.HasPrefix(res.Message, "the image for aarch64-linux: ") || res.Status != builder.StatusFailed {
		t.Fatalf("got %s %q; want kind build naming aarch64-linux", res.Kind, res.Message)
	}
	if len(f.reqs) != 0 {
		t.Errorf("a failed build pushed: %+v", f.reqs)
	}
	if g := b.Store.IntactGood(p.Dir); g == nil || len(g.Systems) != 0 {
		t.Errorf("last good after the failure: %+v; want the own image alone", g)
	}
	var be *builder.Error
	if _, err := b.PushImage(context.Background(), p, p.Push, nil); !errors.As(err, &be) || be.Kind != builder.KindConfig || !strings.Contains(be.Message, "no good image for aarch64-linux") {
		t.Errorf("push without the arm64 image: %v", err)
	}
}

// TestSystemsImageGone: an arm64 image removed from the state folder is
// copied again by the next build (its --last is not passed).
func TestSystemsImageGone(t *testing.T) {
	b, m, _, p := systemsWorld(t)
	if res := b.Build(context.Background(), p); res.Kind != builder.KindOK {
		t.Fatal(res.Message)
	}
	if err := os.Remove(b.Store.SystemImagePath(p.Dir, "aarch64-linux", p.Output)); err != nil {
		t.Fatal(err)
	}
	m.calls = nil
	res := b.Build(context.Background(), p)
	if res.Kind != builder.KindOK || res.UpToDate || slices.Contains(m.calls[1], "--last") {
		t.Fatalf("rebuild: %s up to date %v, args %q", res.Kind, res.UpToDate, m.calls[1])
	}
	if arm := b.Store.LastGood(p.Dir).Systems["aarch64-linux"]; !arm.Intact() {
		t.Error("the arm64 image was not written again")
	}
}

// TestSystemsDropped: once the project builds one system again, the kept
// image of the other is removed.
func TestSystemsDropped(t *testing.T) {
	b, _, _, p := systemsWorld(t)
	if res := b.Build(context.Background(), p); res.Kind != builder.KindOK {
		t.Fatal(res.Message)
	}
	kept := b.Store.SystemImagePath(p.Dir, "aarch64-linux", p.Output)
	p.Systems = nil
	if res := b.Build(context.Background(), p); res.Kind != builder.KindOK {
		t.Fatal(res.Message)
	}
	if _, err := os.Stat(kept); !os.IsNotExist(err) {
		t.Errorf("the arm64 image of a project that no longer builds it is kept: %v", err)
	}
	if g := b.Store.LastGood(p.Dir); len(g.Systems) != 0 {
		t.Errorf("last good still names other systems: %+v", g.Systems)
	}
}

// containsRun reports whether sub appears in args as a contiguous run.
func containsRun(args, sub []string) bool {
	for i := 0; i+len(sub) <= len(args); i++ {
		if slices.Equal(args[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

// TestSystemsCheckedInOneRun: the protocol between a project's own run
// and its other systems. The other system runs the script only when its
// own run's system-check did not find it up to date: changed, unknown,
// up to date for another store path than the kept image's, or not
// reported because the own output changed; an image no longer kept is
// not offered for a check at all.
func TestSystemsCheckedInOneRun(t *testing.T) {
	cases := []struct {
		name     string
		change   func(m *systemsMachine)
		wantRuns []string
		upToDate bool
	}{
		{"nothing changed", func(m *systemsMachine) {}, []string{""}, true},
		{"only the arm64 image changed", func(m *systemsMachine) { m.versions = map[string]string{"aarch64-linux": "v2"} }, []string{"", "aarch64-linux"}, false},
		{"Nix could not tell", func(m *systemsMachine) { m.verdict = map[string]string{"aarch64-linux": "unknown"} }, []string{"", "aarch64-linux"}, true},
		{"up to date, but not the kept image", func(m *systemsMachine) {
			m.versions = map[string]string{"aarch64-linux": "v2"}
			m.verdict = map[string]string{"aarch64-linux": "up-to-date"}
		}, []string{"", "aarch64-linux"}, false},
		{"the own image changed", func(m *systemsMachine) { m.versions = map[string]string{"x86_64-linux": "v2"} }, []string{"", "aarch64-linux"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, m, _, p := systemsWorld(t)
			if res := b.Build(context.Background(), p); res.Kind != builder.KindOK {
				t.Fatal(res.Message)
			}
			m.calls = nil
			tc.change(m)
			res := b.Build(context.Background(), p)
			if res.Kind != builder.KindOK || res.UpToDate != tc.upToDate {
				t.Fatalf("got %s up to date %v (%q), want ok up to date %v", res.Kind, res.UpToDate, res.Message, tc.upToDate)
			}
			if got := systemsOf(m.calls); !slices.Equal(got, tc.wantRuns) {
				t.Errorf("script runs for systems %q, want %q", got, tc.wantRuns)
			}
			if !slices.Contains(m.calls[0], "--also") {
				t.Errorf("the own run was not told the other system: %q", m.calls[0])
			}
			for _, c := range m.calls[1:] {
				if slices.Contains(c, "--also") {
					t.Errorf("another system's run was told systems to check: %q", c)
				}
			}
			arm := b.Store.LastGood(p.Dir).Systems["aarch64-linux"]
			if want := m.storePath("aarch64-linux"); arm.StorePath != want || !arm.Intact() {
				t.Errorf("the kept arm64 image holds %s (intact %v), want %s", arm.StorePath, arm.Intact(), want)
			}
		})
	}

	t.Run("image no longer kept", func(t *testing.T) {
		b, m, _, p := systemsWorld(t)
		if res := b.Build(context.Background(), p); res.Kind != builder.KindOK {
			t.Fatal(res.Message)
		}
		if err := os.Remove(b.Store.SystemImagePath(p.Dir, "aarch64-linux", p.Output)); err != nil {
			t.Fatal(err)
		}
		m.calls = nil
		if res := b.Build(context.Background(), p); res.Kind != builder.KindOK || res.UpToDate {
			t.Fatalf("got %s up to date %v", res.Kind, res.UpToDate)
		}
		if len(m.calls) != 2 || slices.Contains(m.calls[0], "--also") {
			t.Errorf("runs %q: want the own run without --also, then the arm64 run", m.calls)
		}
	})
}

// realisingSystems is a systemsMachine that asks Nix directly, as the
// local backend does, and finds nothing without building.
type realisingSystems struct{ *systemsMachine }

func (realisingSystems) Realised(ctx context.Context, p builder.Project) (string, []byte, bool) {
	return "", nil, false
}

// TestSystemsNoAlsoWithARealiser: a machine that decides up to date
// before the builder lock (the local backend) already asked Nix about
// every system there; its script is not told to check them again.
func TestSystemsNoAlsoWithARealiser(t *testing.T) {
	b, m, _, p := systemsWorld(t)
	b.Machine = realisingSystems{m}
	for i := range 2 {
		m.calls = nil
		if res := b.Build(context.Background(), p); res.Kind != builder.KindOK {
			t.Fatal(res.Message)
		}
		if got := systemsOf(m.calls); !slices.Equal(got, []string{"", "aarch64-linux"}) || slices.Contains(m.calls[0], "--also") {
			t.Errorf("build %d: runs %q, want the own run without --also, then aarch64-linux", i+1, m.calls)
		}
	}
}

// TestSystemsUploadEach: with a team cache, every system's image closure
// is uploaded after the build, each recorded with its own good output, so
// the unchanged rebuild uploads nothing; a failed upload of the other
// system names it and is retried by the next build.
func TestSystemsUploadEach(t *testing.T) {
	b, m, _, p := systemsWorld(t)
	up := &fakeUploader{}
	b.Cache = up
	res := b.Build(context.Background(), p)
	good := b.Store.LastGood(p.Dir)
	arm := good.Systems["aarch64-linux"]
	if res.Kind != builder.KindOK || !slices.Equal(up.calls, []string{good.StorePath, arm.StorePath}) {
		t.Fatalf("build: %s %q; uploads %q, want the amd64 then the arm64 closure", res.Kind, res.Message, up.calls)
	}
	if res.Cache == nil || res.Cache.Paths != 4 || res.Cache.Bytes != 2000 {
		t.Errorf("cache report %+v, want both uploads summed", res.Cache)
	}
	if len(good.Uploaded) != 1 || len(arm.Uploaded) != 1 {
		t.Errorf("recorded uploads: own %q, arm64 %q; want one each", good.Uploaded, arm.Uploaded)
	}
	up.calls = nil
	if res = b.Build(context.Background(), p); res.Kind != builder.KindOK || !res.UpToDate || len(up.calls) != 0 {
		t.Fatalf("unchanged rebuild: %s up to date %v, uploads %q; want none", res.Kind, res.UpToDate, up.calls)
	}

	// Only the arm64 image changes, and its upload fails: the kind is
	// cache, the message names the system, nothing is recorded for it.
	m.versions = map[string]string{"aarch64-linux": "v2"}
	up.err = errors.New("HTTP 500 from the cache")
	res = b.Build(context.Background(), p)
	if res.Kind != builder.KindCache || !strings.Contains(res.Message, "the image for aarch64-linux: ") || len(up.calls) != 1 {
		t.Fatalf("failed arm64 upload: %s %q, uploads %q; want kind cache naming aarch64-linux, one upload", res.Kind, res.Message, up.calls)
	}
	if g := b.Store.LastGood(p.Dir).Systems["aarch64-linux"]; len(g.Uploaded) != 0 {
		t.Errorf("the failed upload is recorded: %q", g.Uploaded)
	}
	up.err, up.calls = nil, nil
	if res = b.Build(context.Background(), p); res.Kind != builder.KindOK || len(up.calls) != 1 {
		t.Errorf("the next build: %s, uploads %q; want the arm64 upload retried, and only it", res.Kind, up.calls)
	}
}
