package tray

import (
	"errors"

	"nixpass/builder/multipass"
	"nixpass/builder/tools"
)

// multipassCommander is the optional part of Core that names the
// configured Multipass command ([builder] multipass); core.App is one.
type multipassCommander interface {
	MultipassCommand() string
}

// loginRefresher is the optional part of Core that re-reads the login
// agent's state (System Settings › Login Items may have changed it);
// core.App is one.
type loginRefresher interface {
	RefreshStartAtLogin()
}

// shellMultipass resolves the Multipass "Open shell" runs: the configured
// command (m7), as the builds and `nixpass vm shell` use it, found the way
// they find it; "multipass" when the core does not say.
func shellMultipass(c Core) (string, error) {
	name := "multipass"
	if mc, ok := c.(multipassCommander); ok && mc.MultipassCommand() != "" {
		name = mc.MultipassCommand()
	}
	path, err := tools.Default().Find(name)
	if err != nil {
		return "", errors.Join(err, errors.New(multipass.Hint(multipass.ErrNotInstalled)))
	}
	return path, nil
}

// refreshLogin re-reads "Start at login" when the menu opens (m8, M3), in
// the background: launchctl takes a few milliseconds, and a change
// publishes an event that re-renders the menu.
func refreshLogin(c Core) {
	if r, ok := c.(loginRefresher); ok {
		go r.RefreshStartAtLogin()
	}
}
