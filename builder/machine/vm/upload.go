package vm

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"nixpass/builder"
	"nixpass/builder/cache"
	"nixpass/builder/multipass"
	"nixpass/builder/shq"
)

// Upload is [cache] upload as builds in the VM run it: the build script
// uploads inside the VM, where the closure is (nixpass-build.sh,
// --upload). A file:// folder is mounted in the VM and named by its path
// there; the secret key reaches the VM only on the script's standard
// input, never a command line or a file on this host.
type Upload struct {
	// URL is [cache] upload as the user wrote it.
	URL string
	// SecretKeyFile is [cache] secret_key_file on this host.
	SecretKeyFile string
}

// folder is the host folder of a file:// upload, or "".
func (u Upload) folder() string {
	p, err := url.Parse(u.URL)
	if err != nil || p.Scheme != "file" || p.Path == "" {
		return ""
	}
	return filepath.Clean(p.Path)
}

// guestURL is u with its file:// folder at guest, where the VM sees it.
func (u Upload) guestURL(guest string) string {
	p, err := url.Parse(u.URL)
	if err != nil || p.Scheme != "file" {
		return u.URL
	}
	p.Path, p.RawPath = guest, ""
	return p.String()
}

// prepareUpload makes [cache] upload reachable from the VM for this
// build: a file:// folder is mounted (or found inside a folder that is),
// with no Multipass call when it is mounted already; a folder missing on
// this host is refused (it may be a network volume that is not
// connected), naming what to create or mount. The key file must be
// readable before anything is built.
func (v *Machine) prepareUpload(ctx context.Context, inst *multipass.Instance, progress func(string)) error {
	v.upMu.Lock()
	v.upURL = ""
	v.upMu.Unlock()
	if v.Upload.URL == "" {
		return nil
	}
	if _, err := readSecretKey(v.Upload.SecretKeyFile); err != nil {
		return err
	}
	guestURL := v.Upload.URL
	if dir := v.Upload.folder(); dir != "" {
		g, ok := inst.MountFor(dir)
		if !ok {
			target := MountTarget(dir)
			mountCmd := shq.Join("multipass", "mount", dir, v.Name+":"+target)
			if st, err := os.Stat(dir); err != nil || !st.IsDir() {
				return &builder.Error{Kind: builder.KindConfig, Err: err,
					Message: fmt.Sprintf("[cache] upload %s: the folder %s is not on this computer, so it cannot be mounted in the builder VM, where uploads run", cache.PublicURL(v.Upload.URL), dir),
					Hint:    "create it (" + shq.Join("mkdir", "-p", dir) + ") or connect the volume it is on; nixpass then mounts it in the VM itself (" + mountCmd + ")"}
			}
			var err error
			if g, err = v.mount(ctx, inst, dir, progress); err != nil {
				return &builder.Error{Kind: builder.KindConfig, Err: err,
					Message: fmt.Sprintf("[cache] upload %s: the folder %s must be mounted in the builder VM, where uploads run, and mounting it failed: %v", cache.PublicURL(v.Upload.URL), dir, err),
					Hint:    "mount it yourself, then build again: " + mountCmd}
			}
		}
		guestURL = v.Upload.guestURL(g)
	}
	v.upMu.Lock()
	v.upURL = guestURL
	v.upMu.Unlock()
	return nil
}

// readSecretKey reads the signing key: one line, "NAME:BASE64".
func readSecretKey(file string) ([]byte, error) {
	b, err := os.ReadFile(file)
	key := bytes.TrimSpace(b)
	if err == nil && (len(key) == 0 || bytes.ContainsAny(key, "\r\n\x00") || !bytes.Contains(key, []byte(":"))) {
		err = fmt.Errorf("%s does not hold one NAME:BASE64 key", file)
	}
	if err != nil {
		return nil, &builder.Error{Kind: builder.KindConfig, Err: err,
			Message: "[cache] secret_key_file cannot be used to sign uploads: " + err.Error(),
			Hint:    "point secret_key_file at a key this user can read, or make one: nixpass cache key NAME"}
	}
	return key, nil
}

// guestKeyFile is where the script of run token writes the key in the
// VM: its pid file's name plus ".key", in the private run folder.
func (v *Machine) guestKeyFile(token string) string {
	return path.Join(path.Dir(v.scriptPath()), "run", token+".pid.key")
}

// uploadHeader is what the script reads on its standard input before the
// lifeline when args ask it to upload (nixpass-build.sh, --upload): the
// target, the key file, the mode and the key; nil when they do not.
func (v *Machine) uploadHeader(token string, args []string) ([]byte, error) {
	if !slices.Contains(args, "--upload") {
		return nil, nil
	}
	v.upMu.Lock()
	guestURL := v.upURL
	v.upMu.Unlock()
	if guestURL == "" {
		if v.Upload.URL == "" || v.Upload.folder() != "" {
			return nil, &builder.Error{Kind: builder.KindConfig, Message: "[cache] upload is not prepared for the builder VM",
				Hint: "this is a nixpass bug: please report it"}
		}
		guestURL = v.Upload.URL
	}
	key, err := readSecretKey(v.Upload.SecretKeyFile)
	if err != nil {
		return nil, err
	}
	up := cache.Upload{URL: guestURL, SecretKeyFile: v.guestKeyFile(token)}
	target, err := up.Target()
	if err != nil {
		return nil, &builder.Error{Kind: builder.KindConfig, Err: err, Message: err.Error(),
			Hint: "write [cache] upload as a store URL such as file:///srv/cache or https://cache.example.com"}
	}
	mode := "copy"
	if up.SignFirst() {
		mode = "sign"
	}
	var b bytes.Buffer
	for _, l := range []string{target, up.SecretKeyFile, mode} {
		if strings.ContainsAny(l, "\r\n") {
			return nil, &builder.Error{Kind: builder.KindConfig, Message: "[cache] upload may not contain line breaks", Hint: "fix [cache] upload in the config"}
		}
		b.WriteString(l + "\n")
	}
	b.Write(key)
	b.WriteByte('\n')
	return b.Bytes(), nil
}
