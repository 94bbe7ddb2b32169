package build

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"nixpass/builder"
)

// seqMachine is a machine on another host (no HostScriptDirer) whose
// script writes its lines in order, each to stdout (the protocol) or
// stderr (Nix's log), and fails.
type seqMachine struct {
	scriptMachine
	lines []string // "out LINE" or "err LINE"
}

func (m *seqMachine) RunScript(ctx context.Context, token string, args []string, stdout, stderr io.Writer) (int, error) {
	for _, l := range m.lines {
		w := stderr
		if s, ok := strings.CutPrefix(l, "out "); ok {
			w, l = stdout, s
		} else {
			l = strings.TrimPrefix(l, "err ")
		}
		fmt.Fprintln(w, l)
	}
	return 1, nil
}

// TestNixWaitOnAnotherMachine: on a machine whose /proc nixpass cannot
// read (the VM), Nix's "waiting for lock" is said at once, and the holder
// as soon as the script's sampler names it, whichever comes first; a
// holder of another lock, or one said after the wait ended, is not.
func TestNixWaitOnAnotherMachine(t *testing.T) {
	since := time.Date(2026, 12, 5, 7, 40, 2, 0, time.Local)
	holder := fmt.Sprintf("out @nixpass nix-lock /nix/store/abc-app.lock 4242 %d - /nix/store/xyz-nix-2.26/bin/nix-build --no-out-link default.nix ", since.Unix())
	throughDaemon := fmt.Sprintf("out @nixpass nix-lock /nix/store/abc-app.lock 4242 %d 99 nix-build https://user:secret@example.com/x.nix", since.Unix())
	gc := fmt.Sprintf("out @nixpass nix-lock /nix/var/nix/gc.lock 77 %d - nix-collect-garbage -d", since.Unix())
	wait := "err waiting for lock on '/nix/store/abc-app'"
	const nobody = "Nix is waiting for lock on '/nix/store/abc-app': another Nix command holds it"
	const held = "Nix is waiting for lock on '/nix/store/abc-app': held by PID 4242 (nix-build --no-out-link default.nix) since 07:40:02"
	tests := []struct {
		name  string
		lines []string
		want  []string
	}{
		{"Nix first, then the holder", []string{wait, holder}, []string{nobody, held}},
		{"the holder first", []string{holder, wait}, []string{held}},
		{"said once per holder", []string{wait, holder, holder}, []string{nobody, held}},
		{"through nix-daemon, credentials masked", []string{wait, throughDaemon},
			[]string{nobody, "Nix is waiting for lock on '/nix/store/abc-app': held by PID 4242 (nix-build https://***@example.com/x.nix) since 07:40:02, through nix-daemon PID 99"}},
		{"another lock's holder", []string{wait, strings.Replace(holder, "abc-app", "def-lib", 1)}, []string{nobody}},
		{"the garbage collector's lock", []string{"err waiting for the big garbage collector lock...", gc},
			[]string{"Nix is waiting for the big garbage collector lock...: another Nix command holds it",
				"Nix is waiting for the big garbage collector lock...: held by PID 77 (nix-collect-garbage -d) since 07:40:02"}},
		{"after the wait ended", []string{wait, "err building '/nix/store/abc-app.drv'...", holder}, []string{nobody}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			b := &Builder{Machine: &seqMachine{lines: tt.lines}, Emit: func(e builder.Event) {
				if p, ok := e.(builder.BuildPhase); ok && p.Phase == "waiting" {
					got = append(got, p.Detail)
				}
			}}
			b.Build(context.Background(), builder.Project{Dir: t.TempDir(), File: "default.nix", Output: "result.tar.gz"})
			if !slices.Equal(got, tt.want) {
				t.Errorf("waits said\ngot  %q\nwant %q", got, tt.want)
			}
		})
	}
}
