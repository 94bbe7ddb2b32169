package core

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"slices"

	"nixpass/builder"
	"nixpass/builder/build"
	"nixpass/builder/cache"
)

// scriptRunner runs the build script on the builder (machine.Machine's
// RunScript).
type scriptRunner interface {
	RunScript(ctx context.Context, token string, args []string, stdout, stderr io.Writer) (int, error)
}

// UploadCache implements build.CacheUploader for the VM: nothing runs
// (no Multipass call) when done holds this upload's key already;
// otherwise the script's upload verb copies the closure from the VM's
// store, the secret key on the exec's standard input only.
func (u vmUpload) UploadCache(ctx context.Context, storePath string, done []string) (*builder.CacheUpload, string, error) {
	if slices.Contains(done, u.Key()) {
		return &builder.CacheUpload{URL: cache.PublicURL(u.url)}, u.Key(), nil
	}
	args := []string{"upload", "--token", uploadToken(), "--path", storePath, "--upload"}
	if u.deps {
		args = append(args, "--upload-deps")
	}
	var out, errOut bytes.Buffer
	code, err := u.m.RunScript(ctx, args[2], args, &out, &errOut)
	var rep build.ScriptUpload
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		rep.Said(sc.Text())
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, "", ctx.Err()
		}
		return nil, "", err
	}
	if code != 0 && !rep.Failed {
		rep.Ran, rep.Failed, rep.Status = true, true, code
		rep.Output = lastLines(errOut.String(), 20)
	}
	if !rep.Ran && !rep.Failed {
		rep.Failed, rep.Output = true, "the build script did not upload "+storePath
	}
	return u.ScriptResult(rep)
}

// uploadToken names an upload's run in the VM's run folder.
func uploadToken() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "up" + hex.EncodeToString(b)
}

// lastLines is the last n lines of s.
func lastLines(s string, n int) string {
	l := bytes.Split(bytes.TrimRight([]byte(s), "\n"), []byte("\n"))
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return string(bytes.Join(l, []byte("\n")))
}
