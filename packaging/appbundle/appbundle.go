// Package appbundle lays out nixpass.app: Contents/Info.plist with the
// version filled in, Contents/MacOS/nixpass (universal with lipo when two
// architectures are given), Contents/Resources/nixpass.icns and PkgInfo.
// It runs on Linux too, so the layout is tested in CI.
package appbundle

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/jackmordaunt/icns/v3"
	"howett.net/plist"

	"nixpass/assets"
	"nixpass/builder/runner"
	"nixpass/builder/tools"
)

// Options describe one bundle.
type Options struct {
	// Binaries are the nixpass executables; two (amd64 and arm64) are
	// merged with lipo.
	Binaries []string
	// Version is the version, e.g. "v1.2.3-4-gabc" from git describe.
	Version string
	// Plist is the template Info.plist.
	Plist string
	// Out is the .app path.
	Out string
	// SignIdentity is a codesign identity ("Developer ID Application: Ana
	// (TEAMID)"): the bundle is then signed with the hardened runtime and
	// a secure timestamp, as notarization requires. Empty means an ad-hoc
	// signature, enough to run on the Mac that built it.
	SignIdentity string
	// Runner runs lipo and codesign; nil means runner.Exec.
	Runner runner.Runner
	// Log receives notes (signing skipped, ...).
	Log io.Writer
}

// reRelease accepts only what `git describe --tags --always --dirty`
// prints for a v-tag: "v1.2.3", "v1.2.3-4-gabc1234", each maybe with
// "-dirty". Anchored at both ends: a bare commit hash ("25c3ac6") must not
// read as version 25.
var reRelease = regexp.MustCompile(`^v(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-(\d+)-g[0-9a-f]+)?(?:-dirty)?$`)

// CommitsKey is the Info.plist key holding how many commits a dev build
// is past its tag (CFBundleVersion folds it into its third integer).
const CommitsKey = "NixpassCommitsPastTag"

// maxCommits is the most commits past a tag CFBundleVersion can tell
// apart before the next patch number: 1.2.3 plus 1000 commits would read
// as 1.2.4.
const maxCommits = 999

// Versions maps a git-describe version to CFBundleShortVersionString
// ("1.2.3"), CFBundleVersion and the commits past the tag. macOS reads
// only three integers of CFBundleVersion, so N commits past v1.2.3 give
// "1.2.(3*1000+N)", e.g. "1.2.3004", which orders after the tag's own
// "1.2.3000" and before v1.2.4's "1.2.4000"; N is also returned for
// CommitsKey (capped at 999 in CFBundleVersion). A version that is not a
// v-tag maps to 0.0.0.
func Versions(v string) (short, build string, commits int) {
	m := reRelease.FindStringSubmatch(v)
	if m == nil {
		return "0.0.0", "0.0.0", 0
	}
	patch, _ := strconv.Atoi(or(m[3], "0"))
	if m[4] != "" {
		commits, _ = strconv.Atoi(m[4])
	}
	short = strings.Join([]string{m[1], or(m[2], "0"), strconv.Itoa(patch)}, ".")
	build = fmt.Sprintf("%s.%s.%d", m[1], or(m[2], "0"), patch*1000+min(commits, maxCommits))
	return short, build, commits
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Build assembles the bundle in a temporary folder next to Out and renames
// it into place, so a failure never leaves half an app.
func Build(ctx context.Context, o Options) error {
	if len(o.Binaries) == 0 || len(o.Binaries) > 2 {
		return errors.New("bundle: give one binary, or two (amd64 and arm64) for a universal app")
	}
	rn := o.Runner
	if rn == nil {
		rn = runner.Exec{}
	}
	logw := o.Log
	if logw == nil {
		logw = io.Discard
	}
	if err := os.MkdirAll(filepath.Dir(o.Out), 0o755); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	// The temporary folder ends in .app so codesign treats it as a bundle;
	// MkdirTemp makes it 0700, which other accounts could not open.
	tmp, err := os.MkdirTemp(filepath.Dir(o.Out), ".nixpass-*.app")
	if err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	contents := filepath.Join(tmp, "Contents")
	for _, d := range []string{"MacOS", "Resources"} {
		if err := os.MkdirAll(filepath.Join(contents, d), 0o755); err != nil {
			return fmt.Errorf("bundle: %w", err)
		}
	}
	if err := writePlist(o.Plist, filepath.Join(contents, "Info.plist"), o.Version); err != nil {
		return err
	}
	exe := filepath.Join(contents, "MacOS", "nixpass")
	if len(o.Binaries) == 2 {
		if _, err := tools.Default().Find("lipo"); err != nil {
			return errors.New("bundle: two binaries need lipo to merge them (macOS: xcode-select --install)")
		}
		if _, err := rn.Run(ctx, runner.Cmd{Name: "lipo", Args: []string{"-create", "-output", exe, o.Binaries[0], o.Binaries[1]}}); err != nil {
			return fmt.Errorf("bundle: %w", err)
		}
	} else if err := copyFile(o.Binaries[0], exe); err != nil {
		return err
	}
	if err := os.Chmod(exe, 0o755); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	if err := writeIcns(filepath.Join(contents, "Resources", "nixpass.icns")); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(contents, "PkgInfo"), []byte("APPL????"), 0o644); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	if _, err := tools.Default().Find("codesign"); err == nil {
		if _, err := rn.Run(ctx, runner.Cmd{Name: "codesign", Args: signArgs(o.SignIdentity, tmp)}); err != nil {
			if o.SignIdentity != "" {
				return fmt.Errorf("bundle: sign with %q: %w (security find-identity -v -p codesigning lists the identities in your keychain)", o.SignIdentity, err)
			}
			return fmt.Errorf("bundle: ad-hoc sign: %w", err)
		}
	} else if o.SignIdentity != "" {
		return fmt.Errorf("bundle: SIGN_IDENTITY is set but codesign is not installed (xcode-select --install)")
	} else {
		fmt.Fprintln(logw, "note: codesign not found: the bundle is not signed (sign it on a Mac, see packaging/README.md)")
	}
	if err := os.RemoveAll(o.Out); err != nil {
		return fmt.Errorf("bundle: replace %s: %w", o.Out, err)
	}
	if err := os.Rename(tmp, o.Out); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	return nil
}

// signArgs is codesign's argv: ad-hoc by default; with an identity, the
// hardened runtime (--options runtime) and a secure timestamp, which
// notarization requires.
func signArgs(identity, bundle string) []string {
	if identity == "" {
		return []string{"--force", "--sign", "-", "--timestamp=none", bundle}
	}
	return []string{"--force", "--sign", identity, "--options", "runtime", "--timestamp", bundle}
}

func writePlist(src, dst, version string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("bundle: read %s: %w", src, err)
	}
	var m map[string]any
	if _, err := plist.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("bundle: parse %s: %w", src, err)
	}
	short, build, commits := Versions(version)
	m["CFBundleShortVersionString"], m["CFBundleVersion"], m[CommitsKey] = short, build, commits
	var out bytes.Buffer
	enc := plist.NewEncoderForFormat(&out, plist.XMLFormat)
	enc.Indent("\t")
	if err := enc.Encode(m); err != nil {
		return fmt.Errorf("bundle: write Info.plist: %w", err)
	}
	return os.WriteFile(dst, out.Bytes(), 0o644)
}

func writeIcns(dst string) error {
	img, err := png.Decode(bytes.NewReader(assets.AppIconPNG()))
	if err != nil {
		return fmt.Errorf("bundle: app icon: %w", err)
	}
	f, err := os.Create(dst)
	if err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	if err := icns.Encode(f, img); err != nil {
		f.Close()
		return fmt.Errorf("bundle: icns: %w", err)
	}
	return f.Close()
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("bundle: %w", err)
	}
	return out.Close()
}
