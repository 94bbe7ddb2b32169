package store

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestInstallSystemImage: another system's image reaches the state
// folder by rename, or by copy and rename from another file system
// (/dev/shm, a tmpfs, when the machine has one); the temporary file is
// gone either way, and removing the project removes the image.
func TestInstallSystemImage(t *testing.T) {
	srcDirs := map[string]string{"same file system": t.TempDir()}
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		d, err := os.MkdirTemp("/dev/shm", "nixpass-test-")
		if err == nil {
			t.Cleanup(func() { os.RemoveAll(d) })
			srcDirs["other file system"] = d
		}
	}
	for name, src := range srcDirs {
		t.Run(name, func(t *testing.T) {
			s := &Store{StateDir: t.TempDir()}
			project := filepath.Join(t.TempDir(), "app")
			tmp := filepath.Join(src, ".result.tar.gz.nixpass-tmp.x")
			if err := os.WriteFile(tmp, []byte("arm64 image"), 0o644); err != nil {
				t.Fatal(err)
			}
			path := s.SystemImagePath(project, "aarch64-linux", "result.tar.gz")
			if err := s.InstallSystemImage(tmp, path); err != nil {
				t.Fatal(err)
			}
			if b, err := os.ReadFile(path); err != nil || string(b) != "arm64 image" {
				t.Fatalf("installed image: %q, %v", b, err)
			}
			if _, err := os.Stat(tmp); !os.IsNotExist(err) {
				t.Errorf("the temporary image is still there: %v", err)
			}
			if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".image-*")); len(left) != 0 {
				t.Errorf("temporary copies left: %v", left)
			}
			st, _ := os.Stat(path)
			good := &GoodOutput{StorePath: "/nix/store/x", Output: "/p/result.tar.gz",
				Systems: map[string]GoodOutput{"aarch64-linux": {StorePath: "/nix/store/y", Output: path, Size: st.Size(), ModTime: st.ModTime()}}}
			if err := s.SetGood(project, good); err != nil {
				t.Fatal(err)
			}
			if got := s.SystemImages(project, []string{"aarch64-linux", "x86_64-linux"}); len(got) != 1 || got["aarch64-linux"].StorePath != "/nix/store/y" {
				t.Errorf("SystemImages = %+v, want the aarch64-linux image alone", got)
			}
			if err := os.Chtimes(path, time.Now(), time.Now().Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			if got := s.SystemImages(project, []string{"aarch64-linux"}); len(got) != 0 {
				t.Errorf("a changed image file is still a last good image: %+v", got)
			}
			if err := s.DropRoots(project); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Errorf("removing the project left its image: %v", err)
			}
		})
	}
}
