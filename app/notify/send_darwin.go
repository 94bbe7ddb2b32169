package notify

import (
	"context"
	"os"
	"sync"
	"time"

	"github.com/gen2brain/beeep"

	"nixpass/builder/config"
	"nixpass/builder/runner"
	"nixpass/builder/store"
)

// Beeep sends notifications with beeep. beeep tries terminal-notifier
// first (found on PATH, which the app extends with /opt/homebrew/bin and
// /usr/local/bin at start) and needs a PNG icon file for it: with no icon
// it always falls back to osascript, whose notifications are attributed
// to Script Editor. So a 64-pixel app icon is written to the state folder
// and handed over (beeep converts it to .icns on every notification, and
// macOS 11 and later show terminal-notifier's own icon and name whatever
// -appIcon says, so a small one costs little for nothing lost); beeep
// passes its AppName as terminal-notifier's -group, so each project's
// newest notification replaces its previous one.
type Beeep struct {
	mu   sync.Mutex
	icon string
}

var _ GroupSender = (*Beeep)(nil)

// Send implements Sender.
func (b *Beeep) Send(title, body string) error { return b.SendGroup(GroupID("nixpass"), title, body) }

// SendGroup implements GroupSender.
func (b *Beeep) SendGroup(group, title, body string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.icon == "" {
		if dir, err := config.StateDir(); err == nil {
			b.icon, _ = WriteSmallIcon(dir)
		}
	}
	// AppName is beeep's global -group value; the mutex keeps it ours.
	beeep.AppName = group
	return beeep.Notify(title, body, b.icon)
}

// Default is the platform's sender: the notification center, under
// nixpass's name and icon, when running from nixpass.app (see Native and
// Choose), with Beeep as the fallback; Beeep alone otherwise.
func Default() Sender {
	exe, _ := os.Executable()
	s := Choose(newCenter(), exe, &Beeep{}, latestLog)
	if _, native := s.(*Native); native {
		setClickHandler(openClickedLog)
	}
	return s
}

// latestLog is the newest build log of a notification group's project.
func latestLog(group string) string {
	dir := ProjectOfGroup(group)
	logs, err := config.LogDir()
	if dir == "" || err != nil {
		return ""
	}
	return (&store.Store{LogDir: logs}).LatestLog(dir)
}

// openClickedLog opens the build log a clicked notification names.
func openClickedLog(log string) {
	logs, err := config.LogDir()
	if err != nil {
		return
	}
	if target := ClickTarget(log, logs); target != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = runner.Exec{}.Run(ctx, runner.Cmd{Name: "open", Args: []string{target}})
	}
}
