package cache

import (
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"nixpass/builder"
)

const pub = "team-1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

func TestPullSettings(t *testing.T) {
	got := Pull{URL: "https://c.example", PublicKey: pub}.Settings()
	var lines []string
	for _, s := range got {
		lines = append(lines, s.Line())
	}
	want := "extra-substituters = https://c.example|extra-trusted-public-keys = " + pub + "|narinfo-cache-negative-ttl = 0|connect-timeout = 5"
	if strings.Join(lines, "|") != want {
		t.Errorf("Settings = %q\nwant %q", strings.Join(lines, "|"), want)
	}
	if s := (Pull{}).Settings(); s != nil {
		t.Errorf("Settings without a cache = %v, want nil", s)
	}
}

func TestPullWarning(t *testing.T) {
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	g, err := user.LookupGroupId(u.Gid)
	if err != nil {
		t.Fatal(err)
	}
	p := Pull{URL: "https://c.example", PublicKey: pub}
	tests := []struct {
		name string
		conf map[string]string
		want []string // lines the warning lists; nil: no warning
	}{
		{"trusted by name", map[string]string{"trusted-users": "root " + u.Username}, nil},
		{"trusted through a group", map[string]string{"trusted-users": "root @" + g.Name}, nil},
		{"trusted-substituters and key", map[string]string{"trusted-users": "root-only",
			"trusted-substituters": "https://c.example", "trusted-public-keys": "cache.nixos.org-1:x " + pub}, nil},
		{"in substituters with a slash", map[string]string{"trusted-users": "root-only",
			"substituters": "https://cache.nixos.org https://c.example/", "trusted-public-keys": pub}, []string{"extra-substituters = https://c.example"}},
		{"nothing", map[string]string{"trusted-users": "root-only"},
			[]string{"extra-substituters = https://c.example", "extra-trusted-public-keys = " + pub}},
		{"substituter but no key", map[string]string{"trusted-users": "root-only", "trusted-substituters": "https://c.example"},
			[]string{"extra-trusted-public-keys = " + pub}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := p.Warning(Daemon{Conf: tt.conf}, u)
			if tt.want == nil {
				if w != "" {
					t.Errorf("Warning = %q, want none", w)
				}
				return
			}
			for _, l := range tt.want {
				if !strings.Contains(w, "\n    "+l) {
					t.Errorf("Warning = %q, want it to list %q", w, l)
				}
			}
			if !strings.Contains(w, u.Username) || !strings.Contains(w, "/etc/nix/nix.conf") {
				t.Errorf("Warning = %q, want the user and the file to edit", w)
			}
		})
	}
	if !Ignored("warning: ignoring untrusted substituter 'https://c.example', you are not a trusted user.") {
		t.Errorf("Ignored misses Nix's own words")
	}
}

// TestUntrustedDaemonReal asks the real nix-daemon, as CI's non-root user
// nixpass-ci (in nix-users, not in trusted-users), what it does with a
// cache passed on the command line, and checks Warning and Ignored agree.
func TestUntrustedDaemonReal(t *testing.T) {
	ci := ciUser(t)
	// Trust through the group it is a member of (supplementary).
	if !builder.TrustedUser(ci, []string{"root", "@nix-users"}) {
		t.Errorf("nixpass-ci in nix-users is not trusted by @nix-users")
	}
	dir := t.TempDir()
	os.Chmod(filepath.Dir(dir), 0o755) // t.TempDir makes it 0700
	os.Chmod(dir, 0o755)
	p := Pull{URL: "http://127.0.0.1:9/", PublicKey: pub}
	args := []string{"--no-out-link", writePayload(t, dir), "--argstr", "salt", "untrusted"}
	for _, s := range p.Settings() {
		args = append(args, "--option", s.Name, s.Value)
	}
	out, err := asUser(t, ci, "nix-build", args...)
	if err != nil {
		t.Fatalf("build as nixpass-ci: %v\n%s", err, out)
	}
	if !Ignored(out) {
		t.Errorf("Ignored = false for the daemon's output:\n%s", out)
	}
	conf, err := asUser(t, ci, "nix", "--extra-experimental-features", "nix-command", "show-config")
	if err != nil {
		t.Fatal(err)
	}
	d := Daemon{Conf: map[string]string{}}
	for _, l := range strings.Split(conf, "\n") {
		if k, v, ok := strings.Cut(l, " = "); ok {
			d.Conf[k] = v
		}
	}
	if w := p.Warning(d, ci); !strings.Contains(w, "extra-substituters = http://127.0.0.1:9/") {
		t.Errorf("Warning = %q, want the line the daemon needs", w)
	}
}

func ciUser(t *testing.T) *user.User {
	t.Helper()
	if _, err := exec.LookPath("nix-build"); err != nil {
		t.Skip("nix-build missing: apt-get install nix-bin (sudo .ci/setup)")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to run as nixpass-ci (CI runs the tests as root)")
	}
	u, err := user.Lookup("nixpass-ci")
	if err != nil {
		t.Fatalf("no user nixpass-ci: run sudo .ci/setup")
	}
	return u
}

func asUser(t *testing.T, u *user.User, name string, args ...string) (string, error) {
	t.Helper()
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	gids, _ := u.GroupIds()
	var groups []uint32
	for _, g := range gids {
		n, _ := strconv.Atoi(g)
		groups = append(groups, uint32(n))
	}
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: groups}}
	cmd.Env = []string{"HOME=" + u.HomeDir, "PATH=" + os.Getenv("PATH"), "USER=" + u.Username, "NIX_REMOTE=daemon"}
	out, err := cmd.CombinedOutput()
	return string(out), err
}
