// Package agent installs nixpass as a per-user login agent, so builds keep
// running in the background: a LaunchAgent on macOS, a systemd user unit
// on Linux. The files are rendered here (and golden-tested); installing,
// loading and querying them goes through github.com/kardianos/service,
// which receives the rendered text as its template option: it contains no
// template actions, so it is written exactly as tested.
//
// It may import runner; nothing under builder/ but core and app imports it.
package agent

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/template"
	"time"

	"github.com/kardianos/service"
)

// Label is the LaunchAgent label and the base of the unit name.
const Label = "dev.nixpass.agent"

// Spec is what the agent runs.
type Spec struct {
	// Executable is the nixpass binary; inside a .app bundle, the bundle's
	// Contents/MacOS/nixpass, so launchd starts the app with its
	// Info.plist (LSUIElement: no Dock icon).
	Executable string
	// Args follow the executable ("app", and --config FILE when the user
	// runs with a non-default config).
	Args []string
	// PATH is the agent's PATH: launchd starts agents with
	// /usr/bin:/bin:/usr/sbin:/sbin, which has neither multipass nor docker.
	// Empty means the service manager's default. It must not depend on the
	// caller's environment (tools.InstallPATH), or the file would change,
	// and the agent be reloaded, with every shell that installs it.
	PATH string
	// LogDir receives the agent's stdout and stderr (launchd only; systemd
	// keeps them in the journal).
	LogDir string
}

func xmlEscape(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// systemdQuote quotes one ExecStart argument per systemd.syntax(7): in
// double quotes, with \ and " escaped, % doubled (specifiers) and $
// doubled (variable expansion).
func systemdQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\t", `\t`, "%", "%%", "$", "$$")
	return `"` + r.Replace(s) + `"`
}

var funcs = template.FuncMap{"xml": xmlEscape, "sd": systemdQuote}

// launchdTemplate: RunAtLoad starts it at login; KeepAlive relaunches it
// only after a crash (SuccessfulExit false), never after Quit, which exits
// 0 (as does a startup error the app has shown, so a bad config is not
// retried every 10 s); Interactive and Aqua because it is a menu-bar app
// of the user's GUI session. NIXPASS_AGENT tells the app it runs as the
// agent; AssociatedBundleIdentifiers names the app in System Settings ›
// Login Items instead of the bare executable.
var launchdTemplate = template.Must(template.New("launchd").Funcs(funcs).Parse(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>{{.Label}}</string>
	<key>ProgramArguments</key>
	<array>
		<string>{{xml .Spec.Executable}}</string>
{{- range .Spec.Args}}
		<string>{{xml .}}</string>
{{- end}}
	</array>
	<key>EnvironmentVariables</key>
	<dict>
		<key>NIXPASS_AGENT</key>
		<string>1</string>
{{- if .Spec.PATH}}
		<key>PATH</key>
		<string>{{xml .Spec.PATH}}</string>
{{- end}}
	</dict>
	<key>AssociatedBundleIdentifiers</key>
	<array>
		<string>{{.BundleID}}</string>
	</array>
	<key>RunAtLoad</key>
	<true/>
	<key>KeepAlive</key>
	<dict>
		<key>SuccessfulExit</key>
		<false/>
	</dict>
	<key>ExitTimeOut</key>
	<integer>{{.ExitSeconds}}</integer>
	<key>ProcessType</key>
	<string>Interactive</string>
	<key>LimitLoadToSessionType</key>
	<string>Aqua</string>
	<key>StandardOutPath</key>
	<string>{{xml .Log}}</string>
	<key>StandardErrorPath</key>
	<string>{{xml .Log}}</string>
</dict>
</plist>
`))

// systemdTemplate is a user unit. WantedBy=default.target, not
// kardianos' multi-user.target, which a user manager never reaches.
// A unit rather than an XDG autostart entry because it also runs the
// builds on a machine without a desktop (the app then runs headless), and
// systemd restarts it after a crash; Restart=on-failure, not always, so
// Quit (exit 0) stays quit.
var systemdTemplate = template.Must(template.New("systemd").Funcs(funcs).Parse(`[Unit]
Description=nixpass: builds Nix Docker images when their sources change
After=graphical-session.target

[Service]
Environment="NIXPASS_AGENT=1"
{{- if .Spec.PATH}}
Environment={{sd (printf "PATH=%s" .Spec.PATH)}}
{{- end}}
ExecStart={{sd .Spec.Executable}}{{range .Spec.Args}} {{sd .}}{{end}}
Restart=on-failure
RestartSec=5
TimeoutStopSec={{.ExitSeconds}}

[Install]
WantedBy=default.target
`))

// BundleID is the app bundle's CFBundleIdentifier
// (packaging/appbundle writes it into Info.plist).
const BundleID = "dev.nixpass.app"

type data struct {
	Label       string
	ExitSeconds int
	BundleID    string
	Spec        Spec
	Log         string
}

func render(t *template.Template, s Spec) ([]byte, error) {
	var b bytes.Buffer
	if err := t.Execute(&b, data{Label: Label, ExitSeconds: int(ExitTimeout / time.Second), BundleID: BundleID, Spec: s, Log: filepath.Join(s.LogDir, "agent.log")}); err != nil {
		return nil, err
	}
	if bytes.Contains(b.Bytes(), []byte("{{")) {
		return nil, errors.New("agent: a path contains \"{{\", which the service installer would read as a template")
	}
	return b.Bytes(), nil
}

// RenderLaunchd renders the LaunchAgent plist for s.
func RenderLaunchd(s Spec) ([]byte, error) { return render(launchdTemplate, s) }

// RenderSystemd renders the systemd user unit for s.
func RenderSystemd(s Spec) ([]byte, error) { return render(systemdTemplate, s) }

// Status says whether the agent is installed, loaded and running.
type Status struct {
	// Installed: the plist or unit file exists.
	Installed bool `json:"installed"`
	// Loaded: launchd has the job (macOS; false elsewhere).
	Loaded bool `json:"loaded"`
	// Running: the agent's process is running.
	Running bool `json:"running"`
	// Disabled: switched off (launchctl disable, or Login Items).
	Disabled bool `json:"disabled"`
	// Enabled is what the "Start at login" checkbox shows: installed and
	// not disabled, and on macOS really loaded.
	Enabled bool   `json:"enabled"`
	Path    string `json:"path,omitempty"`
}

// Manager installs and removes the agent.
type Manager struct {
	spec Spec
	svc  service.Service
	path string
	text []byte
	// lc manages the macOS LaunchAgent; nil elsewhere (kardianos does).
	lc *Launchd
}

// launchctlTimeout bounds each launchctl call.
const launchctlTimeout = 10 * time.Second

type program struct{}

func (program) Start(service.Service) error { return nil }
func (program) Stop(service.Service) error  { return nil }

// New prepares a Manager for s on this platform.
func New(s Spec) (*Manager, error) {
	text, path, opt, err := platformFile(s)
	if err != nil {
		return nil, err
	}
	cfg := &service.Config{
		Name:        serviceName,
		DisplayName: "nixpass",
		Description: "nixpass: builds Nix Docker images when their sources change",
		Executable:  s.Executable,
		Arguments:   s.Args,
		Option:      service.KeyValue{"UserService": true, opt: string(text)},
	}
	svc, err := service.New(program{}, cfg)
	if err != nil {
		return nil, fmt.Errorf("login agent: %w", err)
	}
	return &Manager{spec: s, svc: svc, path: path, text: text, lc: platformLaunchd(path, text)}, nil
}

// Path is where the agent's file lives.
func (m *Manager) Path() string { return m.path }

// Install installs (or updates) the agent; see Apply.
func (m *Manager) Install() error { _, err := m.Apply(); return err }

// Apply installs (or updates) the agent; on macOS it also loads it (see
// Launchd). Installing the same agent twice is not an error. The report
// names the binary a replaced agent started, and whether the change waits
// for the next login.
func (m *Manager) Apply() (Report, error) {
	if err := translocated(m.spec.Executable); err != nil {
		return Report{}, err
	}
	if err := supported(); err != nil {
		return Report{}, err
	}
	if m.lc != nil {
		ctx, cancel := context.WithTimeout(context.Background(), launchctlTimeout)
		defer cancel()
		return m.lc.Install(ctx)
	}
	var rep Report
	if cur, err := os.ReadFile(m.path); err == nil {
		if bytes.Equal(cur, m.text) {
			return rep, nil
		}
		rep.Replaced = otherExecutable(cur, m.text)
		if err := m.Uninstall(); err != nil {
			return rep, err
		}
	}
	if err := m.svc.Install(); err != nil {
		return rep, fmt.Errorf("install login agent %s: %w", m.path, err)
	}
	return rep, nil
}

// Uninstall removes the agent; see Remove.
func (m *Manager) Uninstall() error { _, err := m.Remove(); return err }

// Remove removes the agent; removing an absent one is not an error. On
// macOS it never stops the running app (see Launchd).
func (m *Manager) Remove() (Report, error) {
	if err := supported(); err != nil {
		return Report{}, err
	}
	if m.lc != nil {
		ctx, cancel := context.WithTimeout(context.Background(), launchctlTimeout)
		defer cancel()
		return m.lc.Uninstall(ctx)
	}
	if _, err := os.Stat(m.path); errors.Is(err, os.ErrNotExist) {
		return Report{}, nil
	}
	if err := m.svc.Uninstall(); err != nil {
		return Report{}, fmt.Errorf("remove login agent %s: %w", m.path, err)
	}
	return Report{}, nil
}

// Status reports whether the agent is installed and running.
func (m *Manager) Status() (Status, error) {
	if m.lc != nil {
		ctx, cancel := context.WithTimeout(context.Background(), launchctlTimeout)
		defer cancel()
		return m.lc.Status(ctx), nil
	}
	st := Status{Path: m.path}
	if _, err := os.Stat(m.path); err != nil {
		return st, nil
	}
	st.Installed, st.Enabled = true, true
	if supported() == nil {
		if s, err := m.svc.Status(); err == nil {
			st.Running = s == service.StatusRunning
		}
	}
	return st, nil
}
