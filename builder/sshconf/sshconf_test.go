package sshconf

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const userConfig = `# the user's own
Host *
  UseKeychain yes
  AddKeysToAgent yes

Host bigbox
  HostName build.example.com
  User ana
  Port 2222
  IdentityFile ~/.ssh/nix_builder
  IdentityAgent "~/Library/Group Containers/agent.sock"
  ProxyJump bastion

Host bastion
  HostName=bastion.example.com
  User jump
  ProxyCommand nc %h %p

Host *.example.com !secret.example.com
  Port 2200

Match host foo exec "true"
  User nobody

Include ~/.ssh/more
`

func TestLookup(t *testing.T) {
	c, err := Parse(strings.NewReader(userConfig), "config")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		alias string
		want  Host
		warns []string // keywords warned about
	}{
		{"bigbox", Host{Alias: "bigbox", HostName: "build.example.com", User: "ana", Port: "2222", ProxyJump: "bastion",
			IdentityFiles: []string{"/home/ana/.ssh/nix_builder"}}, []string{"Host *: UseKeychain", "Host *: AddKeysToAgent", "Host bigbox: IdentityAgent"}},
		{"bastion", Host{Alias: "bastion", HostName: "bastion.example.com", User: "jump"}, []string{"UseKeychain", "AddKeysToAgent", "Host bastion: ProxyCommand"}},
		{"a.example.com", Host{Alias: "a.example.com", Port: "2200"}, []string{"UseKeychain", "AddKeysToAgent"}},
		{"secret.example.com", Host{Alias: "secret.example.com"}, []string{"UseKeychain", "AddKeysToAgent"}},
	}
	for _, tt := range tests {
		t.Run(tt.alias, func(t *testing.T) {
			got, warns := c.Lookup(tt.alias, "/home/ana")
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Lookup = %+v\nwant %+v", got, tt.want)
			}
			if len(warns) != len(tt.warns) {
				t.Fatalf("warnings %q, want about %q", warns, tt.warns)
			}
			for i, w := range tt.warns {
				if !strings.Contains(warns[i], w) {
					t.Errorf("warning %q, want it about %s", warns[i], w)
				}
			}
		})
	}
	if len(c.Warnings) != 2 || !strings.Contains(c.Warnings[0], "Match") || !strings.Contains(c.Warnings[1], "Include") {
		t.Errorf("file warnings %q, want Match and Include", c.Warnings)
	}
}

func TestAliases(t *testing.T) {
	got := Aliases([]string{"ssh-ng://ana@bigbox x86_64-linux /k 4", "ssh://bigbox?remote-store=/x", "ssh://other - - 1", "bad"})
	if want := []string{"bigbox", "other"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Aliases = %q, want %q", got, want)
	}
}

// keygen makes a real key with ssh-keygen; pass "" for none.
func keygen(t *testing.T, file, pass string) {
	t.Helper()
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Fatal("ssh-keygen missing: apt-get install openssh-client")
	}
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", pass, "-f", file).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
}

func TestCopy(t *testing.T) {
	home := t.TempDir()
	os.MkdirAll(filepath.Join(home, ".ssh"), 0o700)
	keygen(t, filepath.Join(home, ".ssh", "nix_builder"), "")
	c, _ := Parse(strings.NewReader(userConfig), "config")
	b, err := c.Copy([]string{"bigbox"}, home, "/var/lib/nixpass/ssh")
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Keys) != 1 || !strings.HasPrefix(b.Keys[0].Guest, "/var/lib/nixpass/ssh/key-") || !strings.Contains(string(b.Keys[0].Data), "OPENSSH PRIVATE KEY") {
		t.Fatalf("keys = %+v, want the one key with a guest path", b.Keys)
	}
	want := "\nHost bigbox\n  HostName build.example.com\n  User ana\n  Port 2222\n  ProxyJump bastion\n  IdentityFile " + b.Keys[0].Guest +
		"\n  IdentitiesOnly yes\n\nHost bastion\n  HostName bastion.example.com\n  User jump\n"
	if _, body, _ := strings.Cut(b.Config, "\n"); body != want {
		t.Errorf("config =\n%s\nwant\n%s", body, want)
	}
	for _, bad := range []string{"UseKeychain", "IdentityAgent", "ProxyCommand", "Match", "Include", "nobody"} {
		if strings.Contains(strings.ToLower(b.Config), strings.ToLower(bad)) {
			t.Errorf("config holds %s:\n%s", bad, b.Config)
		}
	}
	if len(b.Warnings) != 6 {
		t.Errorf("warnings %q, want Match, Include, UseKeychain and AddKeysToAgent once, IdentityAgent and ProxyCommand", b.Warnings)
	}
	// ssh itself reads the result: ssh -G prints what it would use.
	cfg := filepath.Join(t.TempDir(), "config")
	os.WriteFile(cfg, []byte(b.Config), 0o600)
	out, err := exec.Command("ssh", "-G", "-F", cfg, "bigbox").CombinedOutput()
	if err != nil {
		t.Fatalf("ssh -G: %v\n%s", err, out)
	}
	for _, l := range []string{"hostname build.example.com", "user ana", "port 2222", "proxyjump bastion", "identityfile " + b.Keys[0].Guest} {
		if !strings.Contains(string(out), "\n"+l+"\n") {
			t.Errorf("ssh -G lacks %q:\n%s", l, out)
		}
	}
}

func TestCopyRefusesEncryptedKey(t *testing.T) {
	home := t.TempDir()
	os.MkdirAll(filepath.Join(home, ".ssh"), 0o700)
	keygen(t, filepath.Join(home, ".ssh", "nix_builder"), "s3cret pass")
	c, _ := Parse(strings.NewReader(userConfig), "config")
	_, err := c.Copy([]string{"bigbox"}, home, "/k")
	if !errors.Is(err, ErrEncryptedKey) || !strings.Contains(err.Error(), "ssh-keygen -t ed25519 -N ''") {
		t.Errorf("Copy = %v, want ErrEncryptedKey with the hint", err)
	}
}

// TestKnownHostsName checks the name against real ssh-keygen -F, which
// the host-key lookup runs, with plain and hashed known_hosts entries.
func TestKnownHostsName(t *testing.T) {
	dir := t.TempDir()
	keygen(t, filepath.Join(dir, "host"), "")
	pub, _ := os.ReadFile(filepath.Join(dir, "host.pub"))
	f := strings.Fields(string(pub))
	kh := filepath.Join(dir, "known_hosts")
	os.WriteFile(kh, []byte("[build.example.com]:2222 "+f[0]+" "+f[1]+"\nplain.example.com "+f[0]+" "+f[1]+"\n"), 0o600)
	for _, hashed := range []bool{false, true} {
		if hashed {
			if out, err := exec.Command("ssh-keygen", "-H", "-f", kh).CombinedOutput(); err != nil {
				t.Fatalf("ssh-keygen -H: %v\n%s", err, out)
			}
		}
		for _, h := range []Host{{Alias: "bigbox", HostName: "build.example.com", Port: "2222"}, {Alias: "plain.example.com", Port: "22"}} {
			out, err := exec.Command("ssh-keygen", "-F", h.KnownHostsName(), "-f", kh).CombinedOutput()
			if err != nil || !strings.Contains(string(out), f[1]) {
				t.Errorf("hashed %v: ssh-keygen -F %s: %v\n%s", hashed, h.KnownHostsName(), err, out)
			}
		}
	}
}

// A host whose Host blocks name no key gets the default identities (what
// ssh itself would try: the jump host too); one that names a key keeps
// only its own.
func TestCopyDefaultIdentities(t *testing.T) {
	home := t.TempDir()
	os.MkdirAll(filepath.Join(home, ".ssh"), 0o700)
	def := filepath.Join(home, ".ssh", "id_ed25519")
	keygen(t, def, "")
	keygen(t, filepath.Join(home, ".ssh", "nix_builder"), "")
	c, _ := Parse(strings.NewReader(userConfig+"\nHost cachebox\n  User ana\n"), "config")
	c.DefaultIdentities = []string{def}
	b, err := c.Copy([]string{"cachebox", "bigbox"}, home, "/k")
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Keys) != 2 || b.Keys[0].Source != def || b.Keys[1].Source != filepath.Join(home, ".ssh", "nix_builder") {
		t.Fatalf("keys %+v, want the default key for cachebox and nix_builder for bigbox", b.Keys)
	}
	for _, want := range []string{"Host cachebox\n  User ana\n  IdentityFile " + b.Keys[0].Guest + "\n", "  ProxyJump bastion\n  IdentityFile " + b.Keys[1].Guest + "\n  IdentitiesOnly",
		"User jump\n  IdentityFile " + b.Keys[0].Guest + "\n"} {
		if !strings.Contains(b.Config, want) || strings.Count(b.Config, "IdentityFile") != 3 {
			t.Errorf("config:\n%s\nwant %q: cachebox and bastion with the default key, bigbox with its own only", b.Config, want)
		}
	}
}
