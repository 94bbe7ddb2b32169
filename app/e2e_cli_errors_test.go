package main

import (
	"encoding/json"
	"io"
	"os"
	"strings"
	"testing"
)

// oneJSONObject decodes stdout as exactly one JSON object.
func oneJSONObject(t *testing.T, stdout string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(stdout))
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("stdout is not a JSON object: %v\n%s", err, stdout)
	}
	if err := dec.Decode(new(any)); err != io.EOF {
		t.Fatalf("stdout holds more than one JSON value:\n%s", stdout)
	}
	return m
}

// TestJSONOnConfigErrors: every verb taking --json prints one failure
// object (status failed, kind config, a message naming the file and line)
// when the config does not parse, and exits 1.
func TestJSONOnConfigErrors(t *testing.T) {
	w := newWorld(t)
	w.writeConfig("[vm]\nmemory = \"8X\"\n")
	for _, args := range [][]string{
		{"build", t.TempDir(), "--json"},
		{"list", "--json"},
		{"status", "--json"},
		{"vm", "status", "--json"},
		{"app", "--headless", "--json"},
	} {
		t.Run(strings.Join(args[:1], " "), func(t *testing.T) {
			o := w.run(args...)
			if o.code != 1 {
				t.Fatalf("exit %d, want 1: %v", o.code, o)
			}
			m := oneJSONObject(t, o.stdout)
			if m["status"] != "failed" || m["kind"] != "config" || !strings.Contains(m["message"].(string), "config.toml:2") {
				t.Errorf("failure object = %v", m)
			}
		})
	}
}

// TestUsageErrors: a bad command line (extra arguments included) is exit
// 1 with a message and the verb's usage on stderr, and under --json one
// failure object on stdout.
func TestUsageErrors(t *testing.T) {
	w := newWorld(t)
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"build", "A", "B"}, `unexpected argument "B"`},
		{[]string{"build", "A", "B", "--json"}, `unexpected argument "B"`},
		{[]string{"build", "--nope", "--json"}, "flag provided but not defined"},
		{[]string{"logs", "a", "b"}, `unexpected argument "b"`},
		{[]string{"status", "extra"}, `unexpected argument "extra"`},
		{[]string{"status", "extra", "--json"}, `unexpected argument "extra"`},
		{[]string{"list", "extra"}, `unexpected argument "extra"`},
		{[]string{"list", "--json", "extra"}, `unexpected argument "extra"`},
		{[]string{"app", "--headless", "extra"}, `unexpected argument "extra"`},
		{[]string{"app", "--headless", "--json", "extra"}, `unexpected argument "extra"`},
		{[]string{"add"}, "missing argument"},
		{[]string{"add", "a", "b"}, `unexpected argument "b"`},
		{[]string{"remove"}, "missing argument"},
		{[]string{"vm"}, "missing argument"},
		{[]string{"vm", "status", "x", "--json"}, `unexpected argument "x"`},
		{[]string{"version", "x"}, `unexpected argument "x"`},
		{[]string{"service"}, "missing argument"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			o := w.run(tc.args...)
			if o.code != 1 {
				t.Fatalf("exit %d, want 1: %v", o.code, o)
			}
			if !strings.Contains(o.stderr, "nixpass "+tc.args[0]+": "+tc.msg) || !strings.Contains(o.stderr, "usage: nixpass "+tc.args[0]) {
				t.Errorf("stderr lacks the message or the usage:\n%s", o.stderr)
			}
			if !wantsJSON(tc.args) {
				if o.stdout != "" {
					t.Errorf("stdout = %q, want nothing", o.stdout)
				}
				return
			}
			m := oneJSONObject(t, o.stdout)
			if m["status"] != "failed" || m["kind"] != "config" || !strings.Contains(m["message"].(string), tc.msg) {
				t.Errorf("failure object = %v", m)
			}
		})
	}
}

// TestAddRefusals: / and the home folder itself are never projects, and a
// path component too long for the file system gets that error, not "not a
// folder".
func TestAddRefusals(t *testing.T) {
	w := newWorld(t)
	home := t.TempDir()
	w.env = append(w.env, "HOME="+home)
	for _, tc := range []struct{ dir, msg string }{
		{"/", "refusing to register / as a project"},
		{home, "refusing to register your home folder"},
		{"/tmp/" + strings.Repeat("x", 300), "file name too long"},
	} {
		o := w.run("add", tc.dir)
		if o.code != 1 || !strings.Contains(o.stderr, tc.msg) || !strings.Contains(o.stderr, "usage: nixpass add") {
			t.Errorf("add %.40s: %v", tc.dir, o)
		}
	}
	if o := w.run("list", "--json"); strings.TrimSpace(o.stdout) != "{\n  \"projects\": []\n}" {
		t.Errorf("a refused folder was registered: %v", o)
	}
}

// TestStatusFileWhereFolderWas: a registered project whose folder was
// replaced by a file is missing in `status`.
func TestStatusFileWhereFolderWas(t *testing.T) {
	w := newWorld(t)
	dir := w.project("p", "{}")
	if o := w.run("add", dir); o.code != 0 {
		t.Fatal(o)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, []byte("a file now"), 0o644); err != nil {
		t.Fatal(err)
	}
	o := w.run("status", "--json")
	var rep statusReport
	if err := json.Unmarshal([]byte(o.stdout), &rep); err != nil || len(rep.Projects) != 1 {
		t.Fatalf("status: %v %v", err, o)
	}
	if rep.Projects[0].State != "missing" {
		t.Errorf("state = %s, want missing", rep.Projects[0].State)
	}
}
