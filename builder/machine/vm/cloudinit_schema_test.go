package vm

import (
	"bytes"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"nixpass/builder/script"
)

// cloudInitPythonDeps are the Debian packages of the Python modules
// cloud-init's schema command imports that Debian 12's /usr/bin/python3
// lacks (it has only yaml); they are unpacked beside it, never installed.
var cloudInitPythonDeps = []string{"python3-configobj", "python3-jsonschema", "python3-attr", "python3-pyrsistent",
	"python3-jinja2", "python3-markupsafe", "python3-requests", "python3-urllib3", "python3-idna", "python3-certifi",
	"python3-charset-normalizer", "python3-chardet", "python3-jsonpatch", "python3-json-pointer", "python3-six"}

// cloudInitChecker returns the argv of cloud-init's own schema checker,
// from Debian's cloud-init package downloaded and unpacked into a cache
// folder, never installed, and the PYTHONPATH it needs.
func cloudInitChecker(t *testing.T) (argv []string, pythonPath string) {
	t.Helper()
	for _, tool := range []string{"apt-get", "dpkg-deb", "/usr/bin/python3"} {
		if _, err := exec.LookPath(tool); err != nil {
			msg := tool + " is missing: the cloud-init schema check needs a Debian or Ubuntu host (apt-get, dpkg-deb, python3 with yaml and jsonschema: sudo .ci/setup)"
			if os.Getenv("NIXPASS_ALLOW_SKIP") == "1" {
				t.Skip(msg)
			}
			t.Fatal(msg)
		}
	}
	cache := filepath.Join(os.TempDir(), "nixpass-cloud-init-schema-2")
	root := filepath.Join(cache, "root")
	bin := filepath.Join(root, "usr", "bin", "cloud-init")
	if _, err := os.Stat(bin); err != nil {
		dl := t.TempDir()
		cmd := exec.Command("apt-get", append([]string{"download", "cloud-init"}, cloudInitPythonDeps...)...)
		cmd.Dir = dl
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("apt-get download cloud-init and its Python modules (needs Debian's mirror): %v\n%s", err, out)
		}
		debs, _ := filepath.Glob(filepath.Join(dl, "*.deb"))
		tmpRoot := filepath.Join(dl, "root")
		for _, deb := range debs {
			if out, err := exec.Command("dpkg-deb", "-x", deb, tmpRoot).CombinedOutput(); err != nil {
				t.Fatalf("dpkg-deb -x %s: %v\n%s", deb, err, out)
			}
		}
		os.MkdirAll(cache, 0o755)
		os.RemoveAll(root)
		if err := os.Rename(tmpRoot, root); err != nil && !os.IsExist(err) {
			t.Fatal(err)
		}
	}
	return []string{"/usr/bin/python3", bin, "schema", "--config-file"}, filepath.Join(root, "usr", "lib", "python3", "dist-packages")
}

func TestCloudInitPassesCloudInitsSchema(t *testing.T) {
	argv, pp := cloudInitChecker(t)
	// The checker must be able to fail: a wrong type is an error.
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("#cloud-config\npackages: 3\n"), 0o644)
	cmd := exec.Command(argv[0], append(argv[1:], bad)...)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+pp)
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "packages: 3 is not of type 'array'") {
		t.Fatalf("the checker accepted a bad config: %v\n%s", err, out)
	}

	ci, err := CloudInit(Spec{CPUs: 4, Memory: 8 << 30, Swap: 4 << 30})
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "cloud-init.yaml")
	os.WriteFile(f, ci, 0o644)
	cmd = exec.Command(argv[0], append(argv[1:], f)...)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+pp)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Valid cloud-config") {
		t.Fatalf("cloud-init schema: %v\n%s\n%s", err, out, ci)
	}
}

func TestCloudInitSetsUpEmulation(t *testing.T) {
	ci, err := CloudInit(Spec{CPUs: 2, Memory: 4 << 30})
	if err != nil {
		t.Fatal(err)
	}
	s := string(ci)
	if !strings.Contains(s, "packages:\n  - qemu-user-static\n  - binfmt-support\n") {
		t.Errorf("cloud-init does not install qemu-user-static and binfmt-support:\n%s", s)
	}
	m := regexp.MustCompile(`(?m)path: /usr/local/lib/nixpass/nixpass-build.sh\n(?:\s+\w+: .*\n)*?\s+content: (\S+)`).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("the build script is not written to the VM at first boot:\n%s", s)
	}
	if b, err := base64.StdEncoding.DecodeString(m[1]); err != nil || !bytes.Equal(b, script.Body()) {
		t.Errorf("the script written at first boot is not this one: %v", err)
	}
	runcmd := s[strings.Index(s, "runcmd:"):]
	install, setup := strings.Index(runcmd, "nix/install"), strings.Index(runcmd, "setup-emulation, x86_64-linux, aarch64-linux]")
	if install < 0 || setup < install {
		t.Errorf("emulation must be set up after Nix is installed:\n%s", runcmd)
	}
}
