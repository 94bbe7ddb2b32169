package build

import (
	"strconv"
	"strings"
	"time"
)

// ScriptUpload is what the build script said about its upload (its
// upload verb, the VM's: nixpass-build.sh, "upload-" lines).
type ScriptUpload struct {
	// Ran is set when the script started an upload.
	Ran bool
	// Deps is set when the build-time closure went too.
	Deps bool
	// Paths and Bytes are what nix copy copied.
	Paths int
	Bytes int64
	// Duration is from the upload's start to its end.
	Duration time.Duration
	// Failed is set, with the exit Status and Nix's last lines in Output,
	// when the upload failed.
	Failed bool
	Status int
	Output string
	// started is when the script said upload-start.
	started time.Time
}

// line takes one "upload-" protocol line.
func (u *ScriptUpload) line(key, val string) {
	switch key {
	case "upload-start":
		u.Ran, u.started = true, time.Now()
	case "upload-deps":
		u.Deps = true
	case "uploaded":
		p, b, _ := strings.Cut(val, " ")
		u.Paths, _ = strconv.Atoi(p)
		u.Bytes, _ = strconv.ParseInt(b, 10, 64)
		u.Duration = time.Since(u.started)
	case "upload-failed":
		u.Failed = true
		u.Status, _ = strconv.Atoi(val)
		u.Duration = time.Since(u.started)
	case "upload-err":
		u.Output += val + "\n"
	}
}

// Said takes one line of the build script's standard output: its
// "@nixpass upload-…" lines fill u (the VM's upload verb, run as a step
// of its own after docker load and push); other lines are ignored.
func (u *ScriptUpload) Said(line string) {
	rest, ok := strings.CutPrefix(strings.TrimRight(line, "\r\n"), "@nixpass ")
	if !ok {
		return
	}
	key, val, _ := strings.Cut(rest, " ")
	u.line(key, val)
}
