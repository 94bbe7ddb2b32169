package config

import (
	"path/filepath"
	"testing"
	"time"
)

func TestDefaultMemory(t *testing.T) {
	tests := []struct {
		host int64
		want Size
	}{
		{0, 2 * GiB}, // unknown
		{4 << 30, 2 * GiB},
		{8 << 30, 2 * GiB},
		{12 << 30, 3 * GiB},
		{16 << 30, 4 * GiB},
		{(16 << 30) - 1, 3 * GiB}, // a quarter rounded down to whole GiB
		{24 << 30, 6 * GiB},
		{32 << 30, 8 * GiB},
		{128 << 30, 8 * GiB},
	}
	for _, tt := range tests {
		if got := defaultMemory(tt.host); got != tt.want {
			t.Errorf("defaultMemory(%d) = %s, want %s", tt.host, got, tt.want)
		}
	}
}

func TestDefaultCPUs(t *testing.T) {
	for host, want := range map[int]int{1: 1, 2: 1, 3: 1, 4: 2, 10: 5} {
		if got := defaultCPUs(host); got != want {
			t.Errorf("defaultCPUs(%d) = %d, want %d", host, got, want)
		}
	}
}

func TestDefault(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatalf("Default() does not validate: %v", err)
	}
	if host := hostMemory(); host <= 0 {
		t.Errorf("hostMemory() = %d, want this machine's RAM", host)
	} else if c.VM.Memory != defaultMemory(host) {
		t.Errorf("memory = %s, want %s", c.VM.Memory, defaultMemory(host))
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"backend", c.Builder.Backend, defaultBackend},
		{"multipass", c.Builder.Multipass, "multipass"},
		{"timeout", c.Builder.Timeout.D(), 2 * time.Hour},
		{"name", c.VM.Name, "nixpass"},
		{"disk", c.VM.Disk, 40 * GiB},
		{"image", c.VM.Image, "24.04"},
		{"swap", c.VM.Swap, 4 * GiB},
		{"idle_stop", c.VM.IdleStop.D(), time.Duration(0)},
		{"auto_create", c.VM.AutoCreate, true},
		{"quiet", c.Scheduler.Quiet.D(), 500 * time.Millisecond},
		{"max_wait", c.Scheduler.MaxWait.D(), 5 * time.Second},
		{"restart", c.Scheduler.Restart, false},
		{"on_quit", c.Scheduler.OnQuit, OnQuitCancel},
		{"success", c.Notify.Success, true},
		{"projects", len(c.Projects), 0},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("default %s = %v, want %v", ck.name, ck.got, ck.want)
		}
	}
}

func TestProjectHelpers(t *testing.T) {
	p := NewProject("/home/me/api/")
	if p.Path != "/home/me/api" || p.File != DefaultFile || p.Output != DefaultOutput || p.Watch == nil || !*p.Watch {
		t.Errorf("NewProject = %+v", p)
	}
	if got := p.Name(); got != "api" {
		t.Errorf("Name = %q, want api", got)
	}
	if got := p.OutputPath(); got != "/home/me/api/result.tar.gz" {
		t.Errorf("OutputPath = %q", got)
	}

	flake := Project{Path: "/f", Flake: ".#image", Output: "img.tar", Watch: boolPtr(false)}.WithDefaults()
	if flake.File != "" || flake.Output != "img.tar" || flake.Watching() {
		t.Errorf("WithDefaults kept too little of %+v", flake)
	}
	if got := (Project{Path: "/f", Output: "img.tar"}).OutputPath(); got != filepath.Join("/f", "img.tar") {
		t.Errorf("OutputPath = %q", got)
	}
	if !(Project{}).Watching() {
		t.Error("an absent watch key must mean watching")
	}

	c := &Config{Projects: []Project{{Path: "/a"}, {Path: "/b/", Watch: boolPtr(false)}}}
	got, ok := c.Project("/b")
	if !ok || got.Path != "/b/" || got.Watching() || got.File != DefaultFile {
		t.Errorf("Project(/b) = %+v, %v", got, ok)
	}
	got.Output = "changed"
	if c.Projects[1].Output != "" {
		t.Error("Project returned the config's own project, not a copy")
	}
	if _, ok := c.Project("/c"); ok {
		t.Error("Project(/c) found a project")
	}
}
