package local

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/user"
	"strings"

	"nixpass/builder"
	"nixpass/builder/machine"
	"nixpass/builder/runner"
)

var _ machine.HostScriptDirer = (*Machine)(nil)

// HostScriptDir implements machine.HostScriptDirer.
func (l *Machine) HostScriptDir() string { return l.ScriptDir }

// NixOptions are the settings this machine hands Nix in NIX_CONFIG
// (machine.NixConfigEnv): its remote builders and caches, unless a
// fallback build left them out, and the team cache's pull ([cache]).
func (l *Machine) NixOptions() []machine.Setting {
	var out []machine.Setting
	if !l.skipRemote.Load() {
		out = l.Remote.Settings()
	}
	return append(out, l.cacheSettings()...)
}

// daemonSocket is where nix-daemon listens unless NIX_DAEMON_SOCKET_PATH
// says otherwise.
const daemonSocket = "/nix/var/nix/daemon-socket/socket"

// checkTrusted stops a build whose remote builders nix-daemon would drop.
// A user not in the daemon's trusted-users has its --builders (and
// substituters) ignored: silently by Nix 2.8, with a warning by 2.34, and
// the image is then built here, or not at all with max-jobs = 0. Root
// builds in the store directly and needs no trust. When the daemon's own
// nix.conf already has these builders, nothing needs passing.
func (l *Machine) checkTrusted(ctx context.Context) error {
	l.skipRemote.Store(false)
	if l.Remote.Empty() || !l.viaDaemon() {
		return nil
	}
	conf, err := l.nixConfig(ctx)
	if err != nil {
		// Without Nix's view we cannot judge; Nix itself will warn (2.34).
		return nil
	}
	u, err := user.Current()
	if err != nil {
		return nil
	}
	if builder.TrustedUser(u, strings.Fields(conf["trusted-users"])) {
		return nil
	}
	if l.Remote.Builders != nil && sameMachines(conf["builders"], l.Remote.Builders) {
		l.skipRemote.Store(true)
		return nil
	}
	return &builder.Error{Kind: builder.KindConfig,
		Message: fmt.Sprintf("nix-daemon ignores [builder] %s for %s, who is not one of its trusted-users (%s): the build would not use them", l.Remote.Keys(), u.Username, conf["trusted-users"]),
		Hint: "put them in the daemon's /etc/nix/nix.conf instead, and restart nix-daemon:\n" + indent(l.Remote.NixConf()) +
			"or trust yourself there: trusted-users = root " + u.Username + " (a trusted user can act as root in the store)"}
}

// viaDaemon reports whether this user's builds go through nix-daemon.
func (l *Machine) viaDaemon() bool {
	if r := os.Getenv("NIX_REMOTE"); r != "" {
		return r == "daemon" || strings.HasPrefix(r, "unix://")
	}
	if os.Geteuid() == 0 {
		return false
	}
	sock := os.Getenv("NIX_DAEMON_SOCKET_PATH")
	if sock == "" {
		sock = daemonSocket
	}
	_, err := os.Stat(sock)
	return err == nil
}

// nixConfig is Nix's merged configuration as this user sees it: `nix
// show-config` (Nix 2.8 to 2.34), or `nix config show` (2.20+, where
// show-config may be gone).
func (l *Machine) nixConfig(ctx context.Context) (map[string]string, error) {
	var out bytes.Buffer
	feat := []string{"--extra-experimental-features", "nix-command"}
	_, err := l.runner().Run(ctx, runner.Cmd{Name: "nix", Args: append(feat, "show-config"), Stdout: &out})
	if err != nil {
		out.Reset()
		if _, err2 := l.runner().Run(ctx, runner.Cmd{Name: "nix", Args: append(feat, "config", "show"), Stdout: &out}); err2 != nil {
			return nil, fmt.Errorf("read nix config: %w", err)
		}
	}
	conf := map[string]string{}
	sc := bufio.NewScanner(&out)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), " = "); ok {
			conf[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return conf, nil
}

// sameMachines reports whether Nix's builders setting holds every line.
// "@FILE" (Nix 2.26+'s default is @/etc/nix/machines) names a file of
// machine lines.
func sameMachines(setting string, lines []string) bool {
	if file, ok := strings.CutPrefix(strings.TrimSpace(setting), "@"); ok {
		b, err := os.ReadFile(file)
		if err != nil {
			return false
		}
		setting = string(b)
	}
	norm := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	have := map[string]bool{}
	for _, m := range strings.FieldsFunc(setting, func(r rune) bool { return r == ';' || r == '\n' }) {
		have[norm(m)] = true
	}
	for _, l := range lines {
		if !have[norm(l)] {
			return false
		}
	}
	return true
}

func indent(conf string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(conf, "\n") {
		if l != "" {
			b.WriteString("    " + l)
		}
	}
	return b.String()
}
