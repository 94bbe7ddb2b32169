package tray

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"nixpass/builder"
)

// "Show log" opens a view: the summary first, then Nix's lines, nixpass's
// bookkeeping at the end; written 0600 next to the stored log.
func TestLogView(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "1.log")
	raw := "# nixpass 1.2 building /src/api\n# builder: local\nerror: undefined variable 'oops'\n       at /src/api/default.nix:1:28\n\n# nixpass: failed (eval) undefined variable 'oops'\n"
	if err := os.WriteFile(log, []byte(raw), 0o600); err != nil {
		t.Fatal(err)
	}
	r := res(builder.KindEval)
	r.Log, r.Message, r.Project = log, "undefined variable 'oops' at default.nix:1:28", "/src/api"
	path, err := writeLogView(proj(builder.ProjectIdle, r), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || filepath.Dir(path) != dir || st.Mode().Perm() != 0o600 {
		t.Fatalf("view %s: %v, mode %v; want 0600 next to the log", path, err, st.Mode())
	}
	b, _ := os.ReadFile(path)
	text := string(b)
	order := []string{"api — Nix evaluation error", "What failed: undefined variable 'oops'", "What to do: Fix the Nix expression", "error: undefined variable 'oops'", "# nixpass 1.2 building", "# nixpass: failed", "Full log: " + log}
	at := 0
	for _, want := range order {
		i := strings.Index(text[at:], want)
		if i < 0 {
			t.Fatalf("view lacks %q after position %d:\n%s", want, at, text)
		}
		at += i
	}
}

// Same-named folders get separate error reports.
func TestReportNames(t *testing.T) {
	a, b := reportName("/work/api"), reportName("/play/api")
	if a == b || !strings.HasPrefix(a, "last-error-api-") || !strings.HasSuffix(a, ".txt") {
		t.Errorf("report names %q and %q", a, b)
	}
	if reportName("/work/api") != a {
		t.Error("the report name is not stable")
	}
}
