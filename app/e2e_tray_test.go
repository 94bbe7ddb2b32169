package main

import (
	"bufio"
	"bytes"
	"fmt"
	"image/color"
	"image/png"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"nixpass/assets"
)

// comparePixmap checks the tray's IconPixmap against the PNG it was given,
// pixel by pixel (ARGB32, network order; a transparent pixel's colour
// does not matter).
func comparePixmap(t *testing.T, got []pixmap, want []byte) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(want))
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	if len(got) != 1 || int(got[0].W) != b.Dx() || int(got[0].H) != b.Dy() || len(got[0].Pix) != 4*b.Dx()*b.Dy() {
		t.Fatalf("IconPixmap: %d pixmaps, want one %dx%d", len(got), b.Dx(), b.Dy())
	}
	wrong := 0
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			c := color.NRGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
			p := got[0].Pix[4*(y*b.Dx()+x):]
			if p[0] != c.A || (c.A != 0 && (p[1] != c.R || p[2] != c.G || p[3] != c.B)) {
				wrong++
			}
		}
	}
	if wrong > 0 {
		t.Errorf("IconPixmap differs from the PNG in %d pixels", wrong)
	}
}

// desktop plays the desktop on a private session bus: it is the
// StatusNotifierWatcher the tray registers with, and the notification
// server; it reads and clicks the menu over com.canonical.dbusmenu.
type desktop struct {
	t    *testing.T
	addr string
	conn *dbus.Conn

	// caps is what the notification server lists in GetCapabilities.
	caps []string

	mu            sync.Mutex
	items         []string // bus names that registered an item
	notifications []notice
}

// notice is one Notify call, every argument as sent.
type notice struct {
	app, icon, summary, body string
	replaces, id             uint32
	actions                  []string
	hints                    map[string]dbus.Variant
	timeout                  int32
}

func (n notice) urgency() byte {
	if v, ok := n.hints["urgency"]; ok {
		b, _ := v.Value().(byte)
		return b
	}
	return 1
}

type watcher struct{ d *desktop }

func (w watcher) RegisterStatusNotifierItem(sender dbus.Sender, path string) *dbus.Error {
	w.d.mu.Lock()
	w.d.items = append(w.d.items, string(sender))
	w.d.mu.Unlock()
	return nil
}

type notifications struct{ d *desktop }

func (n notifications) Notify(app string, id uint32, icon, summary, body string, actions []string, hints map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	n.d.mu.Lock()
	defer n.d.mu.Unlock()
	got := notice{app: app, icon: icon, summary: summary, body: body, replaces: id, actions: actions, hints: hints, timeout: timeout}
	got.id = id
	if id == 0 {
		got.id = uint32(len(n.d.notifications) + 1)
	}
	n.d.notifications = append(n.d.notifications, got)
	return got.id, nil
}

func (n notifications) GetCapabilities() ([]string, *dbus.Error) { return n.d.caps, nil }

func (n notifications) GetServerInformation() (string, string, string, string, *dbus.Error) {
	return "nixpass-test", "nixpass", "1", "1.2", nil
}

// startDesktopWith starts the bus; trayHost false leaves out the
// StatusNotifierWatcher, as on stock GNOME without the AppIndicator
// extension: notifications only.
func startDesktopWith(t *testing.T, trayHost bool, caps ...string) *desktop {
	t.Helper()
	return startBus(t, trayHost, true, caps...)
}

// startBus starts a session bus whose fake desktop owns the tray host
// and the notification service as asked.
func startBus(t *testing.T, trayHost, notifier bool, caps ...string) *desktop {
	t.Helper()
	need(t, "dbus-daemon", "apt-get install dbus")
	cmd := exec.Command("dbus-daemon", "--session", "--nofork", "--print-address=1", "--address=unix:path="+filepath.Join(t.TempDir(), "bus"))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("read bus address: %v", err)
	}
	d := &desktop{t: t, addr: strings.TrimSpace(addr), caps: caps}
	d.conn, err = dbus.Connect(d.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.conn.Close() })
	for name, export := range map[string]func() error{
		"org.kde.StatusNotifierWatcher": func() error {
			return d.conn.Export(watcher{d}, "/StatusNotifierWatcher", "org.kde.StatusNotifierWatcher")
		},
		"org.freedesktop.Notifications": func() error {
			return d.conn.Export(notifications{d}, "/org/freedesktop/Notifications", "org.freedesktop.Notifications")
		},
	} {
		if name == "org.kde.StatusNotifierWatcher" && !trayHost || name == "org.freedesktop.Notifications" && !notifier {
			continue
		}
		if err := export(); err != nil {
			t.Fatal(err)
		}
		if reply, err := d.conn.RequestName(name, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
			t.Fatalf("own %s: %v %v", name, reply, err)
		}
	}
	return d
}

func (d *desktop) waitItem() string {
	d.t.Helper()
	waitFor(d.t, 15*time.Second, "the tray to register", func() bool {
		d.mu.Lock()
		defer d.mu.Unlock()
		return len(d.items) > 0
	})
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.items[0]
}

// node is one dbusmenu entry.
type node struct {
	id       int32
	label    string
	enabled  bool
	visible  bool
	children []node
}

func toNode(v any) node {
	parts := v.([]any)
	n := node{id: parts[0].(int32), enabled: true, visible: true}
	props := parts[1].(map[string]dbus.Variant)
	if l, ok := props["label"]; ok {
		n.label, _ = l.Value().(string)
	}
	if e, ok := props["enabled"]; ok {
		n.enabled, _ = e.Value().(bool)
	}
	if e, ok := props["visible"]; ok {
		n.visible, _ = e.Value().(bool)
	}
	for _, c := range parts[2].([]dbus.Variant) {
		n.children = append(n.children, toNode(c.Value()))
	}
	return n
}

// layout reads the whole menu (the first answer is shallow, by design of
// the library, so read twice).
func (d *desktop) layout(item string) node {
	d.t.Helper()
	obj := d.conn.Object(item, "/StatusNotifierItem/menu")
	var n node
	for i := 0; i < 2; i++ {
		call := obj.Call("com.canonical.dbusmenu.GetLayout", 0, int32(0), int32(-1), []string{})
		if call.Err != nil {
			d.t.Fatalf("GetLayout: %v", call.Err)
		}
		n = toNode(call.Body[1])
		time.Sleep(300 * time.Millisecond)
	}
	return n
}

func (n node) find(labelPrefix string) (node, bool) {
	if strings.HasPrefix(n.label, labelPrefix) && n.visible {
		return n, true
	}
	for _, c := range n.children {
		if f, ok := c.find(labelPrefix); ok {
			return f, true
		}
	}
	return node{}, false
}

func (d *desktop) click(item string, id int32) {
	d.t.Helper()
	call := d.conn.Object(item, "/StatusNotifierItem/menu").Call("com.canonical.dbusmenu.Event", 0, id, "clicked", dbus.MakeVariant(""), uint32(time.Now().Unix()))
	if call.Err != nil {
		d.t.Fatalf("click: %v", call.Err)
	}
}

func (d *desktop) iconPixmap(item string) string {
	v, err := d.conn.Object(item, "/StatusNotifierItem").GetProperty("org.kde.StatusNotifierItem.IconPixmap")
	if err != nil {
		d.t.Fatalf("IconPixmap: %v", err)
	}
	return fmt.Sprint(v.Value())
}

// pixmap is one IconPixmap entry: width, height, ARGB32 bytes.
type pixmap struct {
	W, H int32
	Pix  []byte
}

func (d *desktop) pixmaps(item string) []pixmap {
	d.t.Helper()
	v, err := d.conn.Object(item, "/StatusNotifierItem").GetProperty("org.kde.StatusNotifierItem.IconPixmap")
	if err != nil {
		d.t.Fatalf("IconPixmap: %v", err)
	}
	var got []pixmap
	if err := dbus.Store([]any{v.Value()}, &got); err != nil {
		d.t.Fatalf("IconPixmap %T: %v", v.Value(), err)
	}
	return got
}

// itemProp reads a string property of the StatusNotifierItem.
func (d *desktop) itemProp(item, name string) string {
	d.t.Helper()
	v, err := d.conn.Object(item, "/StatusNotifierItem").GetProperty("org.kde.StatusNotifierItem." + name)
	if err != nil {
		d.t.Fatalf("%s: %v", name, err)
	}
	s, _ := v.Value().(string)
	return s
}

// tooltip is the item's tooltip title.
func (d *desktop) tooltip(item string) string {
	d.t.Helper()
	v, err := d.conn.Object(item, "/StatusNotifierItem").GetProperty("org.kde.StatusNotifierItem.ToolTip")
	if err != nil {
		d.t.Fatalf("ToolTip: %v", err)
	}
	var tip struct {
		Name  string
		Icons []pixmap
		Title string
		Text  string
	}
	if err := dbus.Store([]any{v.Value()}, &tip); err != nil {
		d.t.Fatalf("ToolTip %T: %v", v.Value(), err)
	}
	return tip.Title
}

// invoke is the server saying the user clicked action key of notification id.
func (d *desktop) invoke(id uint32, key string) {
	d.t.Helper()
	if err := d.conn.Emit("/org/freedesktop/Notifications", "org.freedesktop.Notifications.ActionInvoked", id, key); err != nil {
		d.t.Fatal(err)
	}
}

func (d *desktop) notices() []notice {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]notice(nil), d.notifications...)
}

func (d *desktop) waitNotification(summary string) notice {
	d.t.Helper()
	return d.waitNotificationWith(summary, "")
}

// waitNotificationWith waits for a notification whose title holds summary
// and whose body holds body.
func (d *desktop) waitNotificationWith(summary, body string) notice {
	d.t.Helper()
	var got notice
	waitFor(d.t, 30*time.Second, "notification "+summary+" "+body, func() bool {
		d.mu.Lock()
		defer d.mu.Unlock()
		for _, n := range d.notifications {
			if strings.Contains(n.summary, summary) && strings.Contains(n.body, body) {
				got = n
				return true
			}
		}
		return false
	})
	return got
}

// labelName is the name in a project's label "MARK NAME · TIME".
func labelName(label string) string {
	if f := strings.Fields(label); len(f) > 1 {
		return f[1]
	}
	return ""
}

// projectMenu finds the project's submenu, whatever its state mark.
func projectMenu(t *testing.T, root node, name string) node {
	t.Helper()
	for _, c := range root.children {
		// dbusmenu labels double '_' (a single one marks an access key).
		if labelName(c.label) == strings.ReplaceAll(name, "_", "__") && len(c.children) > 0 && c.visible {
			return c
		}
	}
	t.Fatalf("no submenu for %s in %+v", name, root)
	return node{}
}

func TestTrayDrivenOverDBus(t *testing.T) {
	needNix(t)
	// A server with buttons and markup (Xfce's, GNOME's).
	d := startDesktopWith(t, true, "body", "actions", "body-markup")
	w := newWorld(t)
	dir := w.project("tray_app", imageNix("e2e-tray", ""))
	if o := w.run("add", "--no-watch", dir); o.code != 0 {
		t.Fatal(o)
	}
	cmd := exec.Command(nixpassBin, "app")
	cmd.Env = append(w.env, "DBUS_SESSION_BUS_ADDRESS="+d.addr)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	item := d.waitItem()
	root := d.layout(item)
	if _, ok := root.find("Builder: this machine"); !ok {
		t.Fatalf("no builder line in menu: %+v", root)
	}
	if _, ok := root.find("Start at login"); !ok {
		t.Errorf("no Start at login item: %+v", root)
	}
	pm := projectMenu(t, root, "tray_app")
	// The app builds the never-built project as it starts: the item reads
	// "Restart build" then (the same item as "Build now").
	build, ok := pm.find("Restart build")
	if !ok {
		build, ok = pm.find("Build now")
	}
	if !ok || !build.enabled {
		t.Fatalf("Build now: %+v", pm)
	}
	// Never built: the app builds it as it starts.
	n := d.waitNotification("nixpass · tray_app: built")
	if !strings.Contains(n.body, "offline:e2e-tray") {
		t.Errorf("success body %q lacks the image name", n.body)
	}
	idleIcon := d.iconPixmap(item)
	// The item is named for panels that list and remember items, and its
	// icon arrives as the PNG's pixels.
	if title, id := d.itemProp(item, "Title"), d.itemProp(item, "Id"); title != "nixpass" || id != "nixpass" {
		t.Errorf("item Title %q, Id %q: want nixpass for both", title, id)
	}
	comparePixmap(t, d.pixmaps(item), assets.Color(assets.Idle))

	w.setNix(dir, imageNix("e2e-tray-2", ""))
	d.click(item, build.id)
	d.waitNotificationWith("nixpass · tray_app: built", "offline:e2e-tray-2")
	waitFor(t, 10*time.Second, "the menu to show the result", func() bool {
		for _, c := range projectMenu(t, d.layout(item), "tray_app").children {
			if strings.HasPrefix(c.label, "✓ ") && strings.Contains(c.label, "MB") {
				return true
			}
		}
		return false
	})

	// Break the project: an evaluation error.
	w.setNix(dir, "import ./image.nix { tag = oops; }\n")
	d.click(item, build.id)
	n = d.waitNotification("nixpass · tray_app: Nix evaluation error")
	if !strings.Contains(n.body, "undefined variable 'oops'") || !strings.Contains(n.body, "Fix the Nix expression") {
		t.Errorf("failure notification: %+v", n)
	}
	if lines := strings.Split(n.body, "\n"); len(lines) > 2 || len([]rune(lines[0])) > 80 {
		t.Errorf("body %q: want at most two lines of 80", n.body)
	}
	if n.app != "nixpass" || n.icon == "" || n.urgency() != 1 || !strings.Contains(strings.Join(n.actions, "|"), "build|Build again") {
		t.Errorf("failure notification's arguments: %+v", n)
	}
	// "Build again" on the notification: a manual build, so the same
	// failure is shown again, replacing the first notification.
	before := len(d.notices())
	d.invoke(n.id, "build")
	waitFor(t, 60*time.Second, "the failure notified again", func() bool {
		all := d.notices()
		return len(all) > before && all[len(all)-1].summary == n.summary && all[len(all)-1].replaces == n.id
	})
	waitFor(t, 10*time.Second, "the failed state", func() bool {
		pm := projectMenu(t, d.layout(item), "tray_app")
		_, failed := pm.find("✗ Nix evaluation error")
		return strings.HasPrefix(pm.label, "✗") && failed
	})
	if d.iconPixmap(item) == idleIcon {
		t.Error("the icon did not change for the failed state")
	}
	comparePixmap(t, d.pixmaps(item), assets.Color(assets.Failed))
	// The diagnosis is in the menu too, not only in the notification.
	pm = projectMenu(t, d.layout(item), "tray_app")
	var msg, hint bool
	for _, c := range pm.children {
		msg = msg || (c.visible && strings.Contains(c.label, "undefined variable 'oops'"))
		hint = hint || (c.visible && strings.HasPrefix(c.label, "→ ") && strings.Contains(c.label, "Fix the Nix expression"))
	}
	if show, ok := pm.find("Show last error…"); !msg || !hint || !ok || !show.enabled {
		t.Errorf("failed project's menu lacks the message (%v), the hint (%v) or an enabled Show last error… (%v): %+v", msg, hint, ok, pm)
	}

	// Projects added while the app runs are listed with the others, above
	// "Quit", also past the menu's pre-made slots (it is rebuilt then).
	for i := 1; i <= 9; i++ {
		extra := w.project(fmt.Sprintf("extra%d", i), imageNix("e2e-extra", ""))
		if o := w.run("add", "--no-watch", extra); o.code != 0 {
			t.Fatal(o)
		}
	}
	waitFor(t, 15*time.Second, "the added projects in the menu", func() bool {
		root := d.layout(item)
		pos := map[string]int{}
		for i, c := range root.children {
			if c.visible {
				pos[c.label] = i
			}
		}
		q, ok := pos["Quit nixpass"]
		if !ok {
			return false
		}
		for i := 1; i <= 9; i++ {
			found := false
			for label, at := range pos {
				if labelName(label) == fmt.Sprintf("extra%d", i) && at < q {
					found = true
				}
			}
			if !found {
				return false
			}
		}
		return true
	})

	quit, ok := d.layout(item).find("Quit nixpass")
	if !ok {
		t.Fatal("no Quit item")
	}
	d.click(item, quit.id)
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit after Quit: %v\n%s", err, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("the app did not quit\n%s", stderr.String())
	}
}

func TestAppWithoutTrayHostKeepsBuildingAndNotifying(t *testing.T) {
	needNix(t)
	d := startDesktopWith(t, false, "body")
	w := newWorld(t)
	w.writeConfig("[scheduler]\nquiet = \"300ms\"\n")
	dir := w.project("notray", imageNix("e2e-notray", ""))
	if o := w.run("add", dir); o.code != 0 {
		t.Fatal(o)
	}
	cmd := exec.Command(nixpassBin, "app")
	cmd.Env = append(w.env, "DBUS_SESSION_BUS_ADDRESS="+d.addr)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	// It builds the never-built project and notifies, without an icon.
	first := d.waitNotificationWith("nixpass · notray: built", "offline:e2e-notray")
	if len(first.actions) != 0 {
		t.Errorf("actions %q sent to a server that lists none", first.actions)
	}
	// And it keeps watching: a change is built and notified too.
	w.setNix(dir, imageNix("e2e-notray-2", ""))
	if n := d.waitNotificationWith("nixpass · notray: built", "offline:e2e-notray-2"); n.replaces != first.id {
		t.Errorf("the second notification replaces %d, want the first's id %d", n.replaces, first.id)
	}

	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("the app did not stop on SIGTERM\n%s", stderr.String())
	}
	out := stderr.String()
	if n := strings.Count(out, "no system-tray host"); n != 1 {
		t.Errorf("want one line saying there is no system-tray host, got %d:\n%s", n, out)
	}
	if !strings.Contains(out, "AppIndicator") || strings.Contains(out, "systray") {
		t.Errorf("the line should name GNOME's AppIndicator extension and no raw systray error:\n%s", out)
	}
}

// syncBuffer is a bytes.Buffer safe to read while a process writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
