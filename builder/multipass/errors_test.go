package multipass

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"nixpass/builder/runner"
)

func exitErr(code int, stderr string) error {
	return &runner.ExitError{Argv: []string{"multipass", "x"}, Code: code, Stderr: strings.TrimSpace(stderr)}
}

var errDidNotRun = errors.New("start multipass: permission denied")

const noSocket = "%s failed: cannot connect to the multipass socket\nPlease ensure multipassd is running and '/var/run/multipass_socket' is accessible"

func TestClassify(t *testing.T) {
	tests := []struct {
		name, op string
		err      error
		want     error
		code     int
		message  string
	}{
		{"not installed", "info", fmt.Errorf("multipass: %w", runner.ErrNotFound), ErrNotInstalled, -1, "the multipass command was not found"},
		{"missing", "info", exitErr(2, `info failed: instance "builder" does not exist`), ErrInstanceMissing, 2, `instance "builder" does not exist`},
		{"missing among several", "start", exitErr(2, "start failed: The following errors occurred:\ninstance \"builder\" does not exist"), ErrInstanceMissing, 2, `instance "builder" does not exist`},
		{"missing for a setting", "get", exitErr(2, "get failed: Cannot obtain instance settings; instance: builder; reason: No such instance"), ErrInstanceMissing, 2, "Cannot obtain instance settings; instance: builder; reason: No such instance"},
		{"deleted", "start", exitErr(2, `start failed: instance "builder" is deleted`), ErrInstanceDeleted, 2, `instance "builder" is deleted`},
		{"daemon down, exit 3", "info", exitErr(3, fmt.Sprintf(noSocket, "info")), ErrDaemonUnavailable, 3, "cannot connect to the multipass socket; Please ensure multipassd is running and '/var/run/multipass_socket' is accessible"},
		{"daemon down, exit 2", "start", exitErr(2, fmt.Sprintf(noSocket, "start")), ErrDaemonUnavailable, 2, "cannot connect to the multipass socket; Please ensure multipassd is running and '/var/run/multipass_socket' is accessible"},
		{"exit 3 alone", "list", exitErr(3, "list failed: failed to connect to all addresses"), ErrDaemonUnavailable, 3, "failed to connect to all addresses"},
		{"socket denied", "list", exitErr(2, "list failed: multipass socket access denied\nPlease check that you have read/write permissions to '/var/run/multipass_socket'"), ErrSocketDenied, 2, "multipass socket access denied; Please check that you have read/write permissions to '/var/run/multipass_socket'"},
		{"exists", "launch", exitErr(2, `launch failed: instance "builder" already exists`), ErrAlreadyExists, 2, `instance "builder" already exists`},
		{"must be stopped", "set", exitErr(2, "set failed: Cannot update instance settings; instance: builder; reason: Instance must be stopped for modification"), ErrMustBeStopped, 2, "Cannot update instance settings; instance: builder; reason: Instance must be stopped for modification"},
		{"size below minimum", "launch", exitErr(2, "launch failed: Invalid arguments supplied\nInvalid memory size value supplied: 256M."), ErrInvalidSize, 2, "Invalid arguments supplied; Invalid memory size value supplied: 256M."},
		{"malformed size", "launch", exitErr(1, "[error] [client] Caught an unhandled exception: 8X is not a valid memory size - need a non-negative integer"), ErrInvalidSize, 1, "[error] [client] Caught an unhandled exception: 8X is not a valid memory size - need a non-negative integer"},
		{"disk shrink", "set", exitErr(2, "set failed: Invalid setting 'local.b.disk=1G': Disk can only be expanded"), ErrInvalidSize, 2, "Invalid setting 'local.b.disk=1G': Disk can only be expanded"},
		{"mount source", "mount", exitErr(1, `Source path "/x" does not exist`), ErrMountSource, 1, `Source path "/x" does not exist`},
		{"usage", "launch", exitErr(1, "Unknown option 'frobnicate'."), ErrUsage, 1, "Unknown option 'frobnicate'."},
		{"other", "launch", exitErr(2, "launch failed: failed to download image"), ErrFailed, 2, "failed to download image"},
		{"did not run", "info", errDidNotRun, errDidNotRun, -1, errDidNotRun.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := classify(tt.op, "builder", tt.err)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("got %T %v, want *Error", err, err)
			}
			if !errors.Is(err, tt.want) || e.Code != tt.code || e.Message != tt.message || e.Op != tt.op || e.Instance != "builder" {
				t.Errorf("got %+v\nwant Err %v, Code %d, Message %q", e, tt.want, tt.code, tt.message)
			}
			if errors.As(err, new(*runner.ExitError)) {
				t.Error("a classified error unwraps to *runner.ExitError, which exec callers read as the remote status")
			}
		})
	}
	if classify("info", "x", nil) != nil {
		t.Error("classify(nil) is not nil")
	}
}

func TestClassifyExec(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		want   error // nil: the remote status, unchanged
		remote int
	}{
		{"remote status", exitErr(1, "grep: x: No such file"), nil, 1},
		{"remote 3 is not the daemon", exitErr(3, "cannot connect to the multipass socket"), nil, 3},
		{"remote 2", exitErr(2, "sh: 0: cannot open /x: No such file"), nil, 2},
		{"remote 255 without exec failed", exitErr(255, "ssh: connect to host x: refused"), nil, 255},
		{"signal as 128+N", exitErr(137, "Killed"), nil, 137},
		{"remote line that looks like ours, odd code", exitErr(7, "exec failed: mine"), nil, 7},
		{"ssh failed", exitErr(255, "exec failed: ssh connection failed: 'Socket error'"), ErrExecFailed, 0},
		{"ssh failed mid-command", exitErr(255, "building...\nexec failed: ssh connection failed"), ErrExecFailed, 0},
		{"missing", exitErr(2, `exec failed: instance "builder" does not exist`), ErrInstanceMissing, 0},
		{"missing, looked up twice", exitErr(2, "exec failed: instance \"builder\" does not exist\nexec failed: instance \"builder\" does not exist"), ErrInstanceMissing, 0},
		{"deleted", exitErr(2, `exec failed: instance "builder" is deleted`), ErrInstanceDeleted, 0},
		{"daemon down", exitErr(3, fmt.Sprintf(noSocket, "exec")), ErrDaemonUnavailable, 0},
		{"daemon down, exit 2", exitErr(2, fmt.Sprintf(noSocket, "exec")), ErrDaemonUnavailable, 0},
		{"implicit start failed", exitErr(2, "start failed: cannot start: hypervisor error"), ErrFailed, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := classify("exec", "builder", tt.err)
			if tt.want == nil {
				if err != tt.err {
					t.Fatalf("got %v, want the remote status unchanged", err)
				}
				var xe *runner.ExitError
				if !errors.As(err, &xe) || xe.Code != tt.remote {
					t.Errorf("remote status: %v", err)
				}
				return
			}
			if !errors.Is(err, tt.want) || errors.As(err, new(*runner.ExitError)) {
				t.Errorf("got %v, want %v and no *runner.ExitError", err, tt.want)
			}
		})
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{&Error{Op: "start", Instance: "builder", Code: 2, Message: `instance "builder" does not exist`, Err: ErrInstanceMissing},
			`multipass start "builder": instance "builder" does not exist`},
		{&Error{Op: "version", Code: -1, Err: ErrNotInstalled}, "multipass version: multipass is not installed"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

func TestHint(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{ErrNotInstalled, "install Multipass: brew install --cask multipass (https://multipass.run)"},
		{ErrDaemonUnavailable, "start Multipass (open -a Multipass, or sudo launchctl kickstart -k system/com.canonical.multipassd) and try again"},
		{ErrSocketDenied, "your user may not use the Multipass socket"},
		{ErrInstanceMissing, "create it with: nixpass vm create"},
		{ErrInstanceDeleted, "multipass recover builder"},
		{ErrAlreadyExists, "nixpass vm delete"},
		{ErrMustBeStopped, "stop the VM first: nixpass vm stop"},
		{ErrInvalidSize, "a disk can only grow"},
		{ErrMountSource, "check that the folder exists"},
		{ErrMountSource, "sshfs_server"},
		{ErrSocketDenied, "multipass authenticate"},
		{ErrExecFailed, "multipass restart builder"},
		{ErrUsage, "nixpass bug"},
	}
	for _, tt := range tests {
		err := fmt.Errorf("wrapped: %w", &Error{Op: "x", Instance: "builder", Err: tt.err})
		if got := HintFor(err, "darwin"); !strings.Contains(got, tt.want) {
			t.Errorf("HintFor(%v, darwin) = %q, want it to contain %q", tt.err, got, tt.want)
		}
	}
	// On Linux Multipass is a snap: no Homebrew, no open -a, no launchctl.
	linux := map[error]string{
		ErrNotInstalled:      "sudo snap install multipass",
		ErrDaemonUnavailable: "sudo snap restart multipass",
		ErrSocketDenied:      "/var/snap/multipass/common/multipass_socket",
		ErrMountSource:       "removable-media",
	}
	for sentinel, want := range linux {
		got := HintFor(&Error{Op: "x", Err: sentinel}, "linux")
		if !strings.Contains(got, want) || strings.Contains(got, "brew") || strings.Contains(got, "open -a") || strings.Contains(got, "launchctl") || strings.Contains(got, "macOS") {
			t.Errorf("HintFor(%v, linux) = %q, want %q and nothing macOS", sentinel, got, want)
		}
	}
	for _, err := range []error{nil, ErrFailed, errors.New("other")} {
		if got := Hint(err); got != "" {
			t.Errorf("Hint(%v) = %q, want none", err, got)
		}
	}
	if got := Hint(ErrExecFailed); !strings.Contains(got, "multipass restart NAME") {
		t.Errorf("Hint of a bare sentinel = %q, want the NAME placeholder", got)
	}
}
