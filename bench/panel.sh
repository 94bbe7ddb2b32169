#!/usr/bin/env bash
# panel.sh: look at nixpass as a person does, on a real Linux panel. It
# starts Xvfb, a session bus, xfce4-panel 4.18 (its systray plugin is the
# StatusNotifierItem host) and xfce4-notifyd, runs `nixpass app` with a
# private config, drives it through the states (built, evaluation error,
# build failure, a name with an underscore, two same-named folders, a
# config that does not parse) and saves screenshots of the panel, the open
# menu and the notifications to OUT (default ./panel-shots) for review.
#
# Needs: sudo apt-get install xvfb xfce4-panel xfce4-notifyd imagemagick
# xdotool dbus-x11, and Nix (the builds are real). It fails only when the
# item does not register with the panel or the app exits; the pictures are
# for a person to judge.
set -euo pipefail
out=$(realpath -m "${1:-panel-shots}")
mkdir -p "$out"
root=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	[ -n "${PANEL_KEEP:-}" ] || rm -rf "$root"
}
trap cleanup EXIT
cd "$(dirname "$0")/.."
go build -o "$root/nixpass" ./app

export DISPLAY=:${PANEL_DISPLAY:-77}
Xvfb "$DISPLAY" -screen 0 1280x800x24 -nolisten tcp >"$root/xvfb.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done 2>/dev/null || sleep 2

export XDG_CONFIG_HOME=$root/xdg-config XDG_CACHE_HOME=$root/xdg-cache XDG_DATA_HOME=$root/xdg-data
# One panel at the top holding only the tray (no first-run dialog).
chan=$XDG_CONFIG_HOME/xfce4/xfconf/xfce-perchannel-xml
mkdir -p "$chan"
cat >"$chan/xfce4-panel.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<channel name="xfce4-panel" version="1.0">
  <property name="configver" type="int" value="2"/>
  <property name="panels" type="array">
    <value type="int" value="1"/>
    <property name="panel-1" type="empty">
      <property name="position" type="string" value="p=6;x=0;y=0"/>
      <property name="length" type="uint" value="100"/>
      <property name="position-locked" type="bool" value="true"/>
      <property name="size" type="uint" value="30"/>
      <property name="plugin-ids" type="array">
        <value type="int" value="1"/>
      </property>
    </property>
  </property>
  <property name="plugins" type="empty">
    <property name="plugin-1" type="string" value="systray"/>
  </property>
</channel>
XML

# Notifications stay up long enough to be photographed.
cat >"$chan/xfce4-notifyd.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<channel name="xfce4-notifyd" version="1.0">
  <property name="expire-timeout" type="int" value="60"/>
  <property name="initial-opacity" type="double" value="1.0"/>
  <property name="notify-location" type="uint" value="3"/>
</channel>
XML

eval "$(dbus-launch --sh-syntax)"
pids+=("$DBUS_SESSION_BUS_PID")
xfce4-panel --disable-wm-check >"$root/panel.log" 2>&1 &
pids+=($!)
notifyd=$(ls /usr/lib/*/xfce4/notifyd/xfce4-notifyd 2>/dev/null | head -1)
"$notifyd" >"$root/notifyd.log" 2>&1 &
pids+=($!)
# The panel's tray owns the watcher once it is up.
for _ in $(seq 100); do
	dbus-send --session --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.NameHasOwner \
		string:org.kde.StatusNotifierWatcher 2>/dev/null | grep -q true && break
	sleep 0.2
done

export NIXPASS_CONFIG=$root/config.toml NIXPASS_STATE_DIR=$root/state
project() { # project DIR NIX
	mkdir -p "$1"
	cp examples/offline/image.nix examples/offline/build-image.sh "$1/"
	printf '%s\n' "$2" >"$1/default.nix"
}
project "$root/p/my_api" 'import ./image.nix { tag = "panel-ok"; prepare = ""; }'
project "$root/p/broken" 'import ./image.nix { tag = oops; }'
project "$root/work/web" 'import ./image.nix { tag = "panel-web"; prepare = ""; }'
project "$root/play/web" 'import ./image.nix { tag = "panel-web2"; prepare = "echo src/main.c:3: error: expected semicolon >&2; exit 1"; }'
for d in p/my_api p/broken work/web play/web; do "$root/nixpass" add --no-watch "$root/$d" >/dev/null; done

"$root/nixpass" app >"$root/app.log" 2>&1 &
app=$!
pids+=("$app")

shot() { import -window root "$out/$1.png"; echo "saved $out/$1.png"; }
alive() { kill -0 "$app" 2>/dev/null || { echo "panel.sh: nixpass app exited:"; cat "$root/app.log"; exit 1; }; }

registered=""
for _ in $(seq 100); do
	alive
	items=$(dbus-send --session --print-reply --dest=org.kde.StatusNotifierWatcher /StatusNotifierWatcher \
		org.freedesktop.DBus.Properties.Get string:org.kde.StatusNotifierWatcher string:RegisteredStatusNotifierItems 2>/dev/null || true)
	if grep -q StatusNotifierItem <<<"$items"; then registered=yes; break; fi
	sleep 0.2
done
[ -n "$registered" ] || { echo "panel.sh: the item did not register with xfce4-panel"; cat "$root/panel.log" "$root/app.log"; exit 1; }
echo "item registered"
shot 01-building
for i in 1 2 3; do # the four builds, and their notifications
	sleep 8
	alive
	shot "02-notifications-$i"
done
# The panel holds only the tray: the icon is at its left end.
panel=$(xdotool search --onlyvisible --class xfce4-panel | head -1 || true)
if [ -n "$panel" ]; then
	eval "$(xdotool getwindowgeometry --shell "$panel")"
	xdotool mousemove $((X + 12)) $((Y + HEIGHT / 2)) click 1 || true
	sleep 1
	shot 03-menu-open
	xdotool key Down Right || true # the first project: broken
	sleep 1
	shot 04-submenu-eval-error
	xdotool key Left Down Down Down Right || true # web (play): a build failure
	sleep 1
	shot 05-submenu-build-failure
	xdotool key Escape Escape Escape || true
fi
# A config edit that does not parse.
cp "$NIXPASS_CONFIG" "$root/good.toml"
{ echo 'quiett = "1s"'; cat "$root/good.toml"; } >"$NIXPASS_CONFIG"
sleep 2
alive
shot 06-config-problem-notification
if [ -n "$panel" ]; then
	xdotool mousemove $((X + 12)) $((Y + HEIGHT / 2)) click 1 || true
	sleep 1
	shot 07-config-problem-menu
	xdotool key Escape || true
fi
cp "$root/good.toml" "$NIXPASS_CONFIG"
sleep 1
alive
echo "screenshots in $out"
