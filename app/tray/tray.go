//go:build linux || (darwin && cgo)

package tray

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"fyne.io/systray"

	"nixpass/assets"
	"nixpass/builder"
)

// ErrNoTray means there is no place to show an icon (no session bus on
// Linux); the caller runs headless.
var ErrNoTray = errors.New("no desktop session to show a menu-bar icon in")

// slot is one pre-created menu item. Items are never removed (Remove
// closes ClickedCh), only shown, hidden and retitled.
type slot struct {
	item *systray.MenuItem
	key  string
	proj int // project index, -1 for global items
}

// Menu owns all tray state; one loop applies models and handles clicks.
type Menu struct {
	core   Core
	notify Notifier
	logf   func(string, ...any)

	mu       sync.Mutex
	builder  []*slot
	global   []*slot
	projects []projectSlots
	dirs     []string // project dir per project slot, from the last model
	clicks   chan *slot
	acts     chan [2]string // notification buttons: project, action
	quitOnce sync.Once
	term     *terminator
}

type projectSlots struct {
	top   *systray.MenuItem
	items []*slot
}

// Available says whether Run can show an icon: nil, ErrNoTray (no
// desktop session) or ErrNoTrayHost (a session with no tray host).
func Available() error { return checkDesktop() }

// Run shows the tray until Quit is chosen or ctx ends; it blocks. It
// returns ErrNoTray when there is no session bus, ErrNoTrayHost when
// nothing on it shows tray icons.
func Run(ctx context.Context, core Core, notify Notifier, logf func(string, ...any)) error {
	if err := checkDesktop(); err != nil {
		return err
	}
	m := &Menu{core: core, notify: notify, logf: logf, clicks: make(chan *slot, 64), acts: make(chan [2]string, 8)}
	m.term = &terminator{quit: m.quitCore}
	// "Show log" and "Build again" on a notification run the menu's own
	// handlers.
	if src, ok := notify.(interface {
		OnAction(func(project, action string))
	}); ok {
		src.OnAction(func(project, action string) { m.acts <- [2]string{project, action} })
	}
	done := make(chan struct{})
	setIdentity()
	// On AppKit's terminate path (logout, shutdown, the cask's quit:) the
	// terminator answers "later" and stops the builds off the main
	// thread (m5); onExit, run on the main thread as AppKit exits, then
	// finds them stopped. Without the hook (Linux) onExit stops them.
	systray.Run(func() { hookTerminate(m.term); go m.loop(ctx, done) }, m.quitCore)
	<-done
	return nil
}

func (m *Menu) newSlot(item *systray.MenuItem, key string, proj int) *slot {
	s := &slot{item: item, key: key, proj: proj}
	// One forwarder per item: systray drops clicks nobody receives.
	go func() {
		for range item.ClickedCh {
			m.clicks <- s
		}
	}()
	return s
}

func (m *Menu) create(model Model) {
	for _, it := range model.Builder {
		m.builder = append(m.builder, m.newSlot(systray.AddMenuItem(menuLabel(it.Title), ""), it.Key, -1))
	}
	systray.AddSeparator()
	m.ensureProjects(slotCount(len(model.Projects)), model)
	systray.AddSeparator()
	for _, it := range model.Global {
		var item *systray.MenuItem
		if it.Checkable {
			item = systray.AddMenuItemCheckbox(menuLabel(it.Title), "", it.Checked)
		} else {
			item = systray.AddMenuItem(menuLabel(it.Title), "")
		}
		m.global = append(m.global, m.newSlot(item, it.Key, -1))
	}
}

// ensureProjects creates n project submenus (hidden until used). systray
// only appends, so they are made with the menu, between the separators;
// render rebuilds the whole menu when more are needed, so a new project
// never lands below "Quit".
func (m *Menu) ensureProjects(n int, model Model) {
	template := projectMenu(builder.ProjectStatus{}, false, time.Local, time.Now()).Items
	for len(m.projects) < n {
		i := len(m.projects)
		top := systray.AddMenuItem("project", "")
		top.Hide()
		ps := projectSlots{top: top}
		items := template
		if i < len(model.Projects) {
			items = model.Projects[i].Items
		}
		for _, it := range items {
			var sub *systray.MenuItem
			if it.Checkable {
				sub = top.AddSubMenuItemCheckbox(menuLabel(it.Title), "", it.Checked)
			} else {
				sub = top.AddSubMenuItem(menuLabel(it.Title), "")
			}
			ps.items = append(ps.items, m.newSlot(sub, it.Key, i))
		}
		m.projects = append(m.projects, ps)
	}
}

func apply(s *slot, it Item) {
	s.item.SetTitle(menuLabel(it.Title))
	if it.Enabled {
		s.item.Enable()
	} else {
		s.item.Disable()
	}
	if it.Checkable {
		if it.Checked {
			s.item.Check()
		} else {
			s.item.Uncheck()
		}
	}
	if it.Visible {
		s.item.Show()
	} else {
		s.item.Hide()
	}
}

func (m *Menu) render(model Model) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.builder != nil && len(model.Projects) > len(m.projects) {
		// More projects than slots: rebuild the menu (Remove closes the
		// items' click channels, which ends their forwarders).
		systray.ResetMenu()
		m.builder, m.global, m.projects = nil, nil, nil
	}
	if m.builder == nil {
		m.create(model)
	}
	setIcon(model.Icon)
	systray.SetTooltip(model.Tooltip)
	for i, it := range model.Builder {
		apply(m.builder[i], it)
	}
	for i, it := range model.Global {
		apply(m.global[i], it)
	}
	m.dirs = m.dirs[:0]
	for i, ps := range m.projects {
		if i >= len(model.Projects) {
			ps.top.Hide()
			continue
		}
		pm := model.Projects[i]
		m.dirs = append(m.dirs, pm.Dir)
		ps.top.SetTitle(menuLabel(pm.Title))
		ps.top.Show()
		for j, it := range pm.Items {
			if it.Key == "copyload" && clipboardTool() == nil {
				it.Visible = false
			}
			apply(ps.items[j], it)
		}
	}
}

func (m *Menu) loop(ctx context.Context, done chan struct{}) {
	defer close(done)
	events, stop := m.core.Subscribe()
	defer stop()
	m.render(Build(m.core.Snapshot(), time.Local))
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	// fyne.io/systray v1.12.2 on Linux calls onReady before it exports
	// the item's properties and drops a tooltip or icon set in between:
	// render again, icon included, each second for the first five.
	settle := time.NewTicker(time.Second)
	defer settle.Stop()
	settled := 0
	for {
		select {
		case <-ctx.Done():
			m.quit()
			return
		case s := <-m.clicks:
			if s.key == "quit" {
				m.quit()
				return
			}
			m.handle(ctx, s)
		case a := <-m.acts:
			if a[1] == "log" || a[1] == "build" {
				m.act(ctx, a[1], a[0], false)
			}
		case _, ok := <-events:
			if !ok {
				return
			}
			// Coalesce a burst (log lines) into one render.
			for drained := false; !drained; {
				select {
				case <-events:
				default:
					drained = true
				}
			}
		case <-systray.TrayOpenedCh:
			// Login Items may have switched the agent off meanwhile.
			refreshLogin(m.core)
		case <-tick.C:
		case <-settle.C:
			iconStale = true
			if settled++; settled == 5 {
				settle.Stop()
			}
		}
		m.render(Build(m.core.Snapshot(), time.Local))
	}
}

// quit shows that nixpass is quitting (cancelling a VM build takes a
// while), stops the builds within quitDeadline and ends the tray.
func (m *Menu) quit() {
	systray.SetTitle("Quitting…")
	systray.SetTooltip("nixpass: quitting…")
	m.mu.Lock()
	for _, s := range append(append([]*slot{}, m.builder...), m.global...) {
		s.item.Disable()
	}
	m.mu.Unlock()
	m.quitCore()
	m.term.Stopped()
	systray.Quit()
}

// quitCore stops the builds once, however many ways Quit arrives.
func (m *Menu) quitCore() {
	m.quitOnce.Do(func() {
		if !quitWithin(m.core.Quit, quitDeadline) {
			m.logf("quit: the builds did not stop within %s; leaving anyway", quitDeadline)
		}
	})
}

func (m *Menu) dir(s *slot) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s.proj < 0 || s.proj >= len(m.dirs) {
		return ""
	}
	return m.dirs[s.proj]
}

// handle runs a click's action; slow ones run in the background so the
// menu stays responsive.
func (m *Menu) handle(ctx context.Context, s *slot) {
	m.act(ctx, s.key, m.dir(s), s.item.Checked())
}

// act runs the action key on the project in dir (checked is the item's
// tick); notification buttons arrive here too.
func (m *Menu) act(ctx context.Context, key, dir string, checked bool) {
	report := func(what string, err error) {
		if err != nil {
			m.logf("%s: %v", what, err)
			_ = m.notify.Notify("nixpass · "+what+" failed", err.Error())
		}
	}
	bg := func(what string, f func() error) { go func() { report(what, f()) }() }
	switch key {
	case "build":
		if p, ok := findProject(m.core.Snapshot(), dir); ok && (p.State == builder.ProjectBuilding || p.State == builder.ProjectQueued) {
			// "Restart build": cancel, then a manual build.
			m.core.Cancel(dir)
		}
		report("build", m.core.Build(dir))
	case "growbuild":
		var mem int64
		if p, ok := findProject(m.core.Snapshot(), dir); ok && p.Last != nil {
			mem = p.Last.GrowMemory
		}
		bg("rebuild with more memory", func() error { return m.core.RebuildWithMemory(ctx, dir, mem) })
	case "copyload":
		bg("copy docker load command", func() error { return copyLoadCommand(ctx, m.core.Snapshot(), dir) })
	case "showimage":
		bg("show image in folder", func() error { return showImage(ctx, m.core.Snapshot(), dir) })
	case "configproblem":
		bg("open config", func() error { return openFile(ctx, m.core.ConfigPath()) })
	case "cancel":
		m.core.Cancel(dir)
	case "watch":
		report("auto-build", m.core.SetWatch(dir, !checked))
	case "remove":
		report("remove project", m.core.RemoveProject(dir))
	case "docker":
		// A failure is KindDocker, the same as a build's load: title it so.
		bg("not loaded into Docker", func() error { return m.core.DockerLoad(ctx, dir) })
	case "reveal":
		bg("show folder", func() error { return reveal(ctx, dir) })
	case "log":
		bg("show log", func() error { return openLog(ctx, m.core.Snapshot(), dir) })
	case "history":
		bg("show history", func() error { return showHistory(ctx, m.core, dir) })
	case "login":
		bg("start at login", func() error { return m.core.SetStartAtLogin(!checked) })
	case "buildall":
		m.core.BuildAll()
	case "config":
		bg("open config", func() error {
			if err := ensureConfig(m.core.ConfigPath()); err != nil {
				return err
			}
			return openFile(ctx, m.core.ConfigPath())
		})
	case "lasterror":
		bg("show last error", func() error { return showLastError(ctx, m.core.Snapshot(), dir) })
	case "add":
		bg("add project", func() error {
			d, err := pickFolder(ctx)
			if err != nil || d == "" {
				return err
			}
			return m.core.AddProject(d)
		})
	case "start":
		bg("start builder", func() error { return m.core.StartBuilder(ctx) })
	case "stop":
		bg("stop builder", func() error { return m.core.StopBuilder(ctx) })
	case "shell":
		bg("open shell", func() error {
			mp, err := shellMultipass(m.core)
			if err != nil {
				return err
			}
			return openShell(ctx, mp, m.core.VMName())
		})
	case "resize":
		report("resize", m.notify.Notify("Resize the builder", "Run in a terminal: nixpass vm resize --memory 8G --cpus 4 (the VM is stopped and started again; the disk can only grow)"))
	case "delete":
		bg("delete builder", func() error {
			ok, err := confirm(ctx, fmt.Sprintf("Delete the builder VM %q and its Nix store?", m.core.VMName()))
			if err != nil || !ok {
				return err
			}
			return m.core.DeleteBuilder(ctx)
		})
	}
}

// openLog writes the readable view of the last build's log next to it and
// opens that.
func openLog(ctx context.Context, s builder.Snapshot, dir string) error {
	p, ok := findProject(s, dir)
	if !ok || p.Last == nil || p.Last.Log == "" {
		return errors.New("no build log yet")
	}
	view, err := writeLogView(p, time.Local)
	if err != nil {
		return fmt.Errorf("show log: %w", err)
	}
	return openFile(ctx, view)
}

func showLastError(ctx context.Context, s builder.Snapshot, dir string) error {
	p, ok := findProject(s, dir)
	if !ok || !Failed(p.Last) {
		return errors.New("no failed build to show")
	}
	title, text := ErrorReport(p, time.Local)
	return showReportFor(ctx, p, title, text)
}

func showImage(ctx context.Context, s builder.Snapshot, dir string) error {
	p, ok := findProject(s, dir)
	if !ok || p.Last == nil || p.Last.Output == "" {
		return errors.New("no image yet")
	}
	return revealFile(ctx, p.Last.Output)
}

// lastIcon is the icon last set; iconStale sets it again anyway.
var (
	lastIcon  = assets.Icon(-1)
	iconStale bool
)

func setIcon(i assets.Icon) {
	if i == lastIcon && !iconStale {
		return
	}
	lastIcon, iconStale = i, false
	systray.SetTemplateIcon(assets.Template(i), assets.Color(i))
}
