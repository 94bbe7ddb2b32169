// Package registrytest starts Debian's docker-registry (the CNCF
// distribution registry) for tests, on a free loopback port with its own
// storage folder, and reads back what it did from its access log.
package registrytest

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Registry is Debian's docker-registry (the CNCF distribution
// registry) on a free loopback port with its own storage folder.
type Registry struct {
	// Host is 127.0.0.1:PORT.
	Host string
	// Storage is its storage folder.
	Storage string
	// Log is its access log.
	Log string
}

// Start starts docker-registry; with user set, behind htpasswd
// basic auth for user and password (the password goes to htpasswd on
// stdin, never on a command line).
func Start(t testing.TB, user, password string) *Registry {
	t.Helper()
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		t.Skip("docker-registry not installed (apt-get install docker-registry; .ci/setup installs it)")
	}
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &Registry{Host: ln.Addr().String(), Storage: filepath.Join(dir, "storage"), Log: filepath.Join(dir, "registry.log")}
	ln.Close()
	auth := ""
	if user != "" {
		cmd := exec.Command("htpasswd", "-B", "-i", "-n", user)
		cmd.Stdin = strings.NewReader(password)
		out, err := cmd.Output()
		if err != nil {
			t.Skipf("htpasswd (apache2-utils) failed: %v", err)
		}
		pw := filepath.Join(dir, "htpasswd")
		if err := os.WriteFile(pw, out, 0o600); err != nil {
			t.Fatal(err)
		}
		auth = fmt.Sprintf("auth:\n  htpasswd:\n    realm: nixpass-test\n    path: %s\n", pw)
	}
	cfg := fmt.Sprintf(`version: 0.1
log:
  level: warn
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
%s`, r.Storage, r.Host, auth)
	cfgFile := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(r.Log)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", cfgFile)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); logf.Close() })
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get("http://" + r.Host + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 || resp.StatusCode == 401 {
				return r
			}
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(r.Log)
			t.Fatalf("docker-registry did not answer on %s: %v\n%s", r.Host, err, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Uploads counts the blob uploads the registry completed for repo, from
// its access log: each ends with a PUT …/blobs/uploads/…?digest=.
func (r *Registry) Uploads(t testing.TB, repo string) int {
	b, err := os.ReadFile(r.Log)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`"PUT /v2/` + regexp.QuoteMeta(repo) + `/blobs/uploads/[^ ]*digest=[^ ]* HTTP/1.1" 201`)
	return len(re.FindAll(b, -1))
}

// Mounts counts cross-repository mounts into repo the registry did.
func (r *Registry) Mounts(t testing.TB, repo string) int {
	b, _ := os.ReadFile(r.Log)
	re := regexp.MustCompile(`"POST /v2/` + regexp.QuoteMeta(repo) + `/blobs/uploads/\?[^ ]*mount=[^ ]* HTTP/1.1" 201`)
	return len(re.FindAll(b, -1))
}
