#!/usr/bin/env bash
# Installs the .deb that `make package` built into a clean Debian 12 (a debootstrap chroot,
# made fresh each time) with `apt install ./amanat_*.deb`, then starts the installed app
# there on a virtual display: prints the package's size, the installed size, the time until
# its window is shown and until the window has its screen drawn (many colours, not a blank
# page: a blank one has a few colours, the first screen's text about a thousand), cold (the page cache dropped: the app's files never read before) and warm, and
# saves a screenshot of the first start (target/package-test/started.png).
# The command line from the package creates a vault in the chroot too. Needs root (chroot,
# mounts) and Debian's package mirror.
# `--prepare` only makes the fresh Debian (what takes longest and needs no package yet), so
# that `make test` can do it while it compiles; the run after it uses that Debian once.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "package-test: needs root (debootstrap, chroot)" >&2; exit 1; }

work=$PWD/target/package-test
root=$work/root
ready=$work/root.ready
display=:97
cleanup() {
  [ -n "${app_pid:-}" ] && kill "$app_pid" 2>/dev/null || true
  [ -n "${xvfb_pid:-}" ] && kill "$xvfb_pid" 2>/dev/null || true
  for m in tmp/.X11-unix dev/pts dev sys proc; do
    mountpoint -q "$root/$m" && umount -l "$root/$m" || true
  done
}
trap cleanup EXIT
cleanup
# Never delete through a mount that is still there (it would reach the host's /dev).
if grep -q " $root/" /proc/mounts; then
  echo "package-test: something is still mounted under $root; not deleting it" >&2
  exit 1
fi

make_root() {
  rm -f "$ready"
  rm -rf "$root" && mkdir -p "$work"
  echo "package-test: debootstrap bookworm"
  debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  touch "$ready"
}
if [ "${1:-}" = --prepare ]; then
  make_root
  echo "package-test: a fresh Debian 12 is ready in $root"
  exit 0
fi
deb=$(ls target/package/amanat_*_amd64.deb 2>/dev/null | tail -1)
[ -n "$deb" ] || { echo "package-test: no target/package/amanat_*.deb; run make package" >&2; exit 1; }
# A Debian prepared by this run's --prepare is used once; otherwise one is made now.
if [ -f "$ready" ]; then
  rm -f "$ready"
  echo "package-test: using the fresh Debian 12 prepared beside the build"
else
  make_root
  rm -f "$ready"
fi
mount -t proc proc "$root/proc"
mount --bind /sys "$root/sys"
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"
cp "$deb" "$root/tmp/"
in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }

echo "package-test: apt install ./$(basename "$deb")"
in_root apt-get update -qq >"$work/apt.log" 2>&1
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "/tmp/$(basename "$deb")" >>"$work/apt.log" 2>&1 ||
  { tail -30 "$work/apt.log" >&2; exit 1; }
in_root dpkg-query -W -f='package-test: installed ${Package} ${Version}, ${Installed-Size} KiB\n' amanat
echo "package-test: .deb $(stat -c %s "$deb") bytes; packages pulled in: $(grep -c '^Setting up' "$work/apt.log")"

# The command line from the package: a vault made, a testimony added and listed.
printf 'a passphrase long enough for the test\n' >"$root/tmp/pass"
in_root amanat --vault /root/cli.amanat --passphrase-file /tmp/pass init --name "Package test" >/dev/null
printf '{"code": "PKG-1"}' >"$root/tmp/t.json"
in_root amanat --vault /root/cli.amanat --passphrase-file /tmp/pass add --json /tmp/t.json >/dev/null
in_root amanat --vault /root/cli.amanat --passphrase-file /tmp/pass list | grep -q PKG-1
echo "package-test: amanat (command line) created a vault and listed its testimony"

# The app, on a display the chroot reaches through the X socket.
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp -noreset >/dev/null 2>&1 &
xvfb_pid=$!
mkdir -p "$root/tmp/.X11-unix"
mount --bind /tmp/.X11-unix "$root/tmp/.X11-unix"
for _ in $(seq 50); do [ -S "/tmp/.X11-unix/X${display#:}" ] && break; sleep 0.1; done
sync
echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || echo "package-test: (could not drop the page cache)"

start_app() {
  local t0 now win="" colours
  t0=$(date +%s%N)
  # chroot and env exec: $! is the app's own pid, which its window carries.
  chroot "$root" env -i HOME=/root LANG=C.UTF-8 DISPLAY="$display" /usr/bin/amanat-desktop \
    >"$work/app-$1.log" 2>&1 &
  app_pid=$!
  for _ in $(seq 1500); do
    kill -0 "$app_pid" 2>/dev/null || { cat "$work/app-$1.log" >&2; return 1; }
    now=$(date +%s%N)
    if [ -z "$win" ]; then
      win=$(DISPLAY=$display xdotool search --all --onlyvisible --pid "$app_pid" --name '^Amanat$' 2>/dev/null | head -1) || true
      [ -n "$win" ] && echo "package-test: $1 start: window shown after $(((now - t0) / 1000000)) ms"
    else
      colours=$(DISPLAY=$display import -window root png:- 2>/dev/null | convert png:- -format %k info: 2>/dev/null) || colours=0
      if [ "${colours:-0}" -gt 500 ]; then
        echo "package-test: $1 start: screen drawn after $(((now - t0) / 1000000)) ms ($colours colours)"
        return 0
      fi
    fi
    sleep 0.02
  done
  echo "package-test: nothing drawn after 30 s" >&2
  return 1
}
start_app cold
sleep 2
DISPLAY=$display import -window root "$work/started.png"
stop_app() {
  kill "$app_pid"; wait "$app_pid" 2>/dev/null || true
  for _ in $(seq 100); do
    DISPLAY=$display xdotool search --name '^Amanat$' >/dev/null 2>&1 || break
    sleep 0.05
  done
}
stop_app
start_app warm
stop_app
app_pid=
echo "package-test: screenshot $work/started.png"
