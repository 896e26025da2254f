#!/usr/bin/env bash
# End-to-end tests of the real app binary: Xvfb, tauri-driver + WebKitWebDriver, WebdriverIO.
# The whole session runs in a network namespace that has only loopback (for WebDriver), under
# strace; afterwards no app process may have connected to an inet socket, and no canary string
# typed in the tests may be found in the vault, $TMPDIR, $HOME (app data, caches, WebKit's
# folders) or /dev/shm. Screenshots of every screen land in target/e2e/. Every system font is
# hidden from the app (fontconfig sees none): what it shows, it shows with its bundled fonts.
# E2E_SYSTEM_FONTS=1 leaves the system's fonts visible, for tests that drive GTK's own
# dialogs (the file chooser): with no font at all GTK sizes them 32767 pixels high and X
# refuses the allocation. Those tests' screenshots go to target/e2e-system-fonts/.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
app=$repo/target/debug/amanat-desktop
driver=$repo/target/tools/bin/tauri-driver
shots=$repo/target/e2e${E2E_SYSTEM_FONTS:+-system-fonts}
# The tests to run: the end-to-end suites, or other scripts (the app benchmark).
if [ $# -eq 0 ]; then set -- ui/e2e/app.e2e.mjs ui/e2e/languages.e2e.mjs ui/e2e/search.e2e.mjs ui/e2e/erasure.e2e.mjs; fi
tests=()
for t in "$@"; do tests+=("$(realpath "$t")"); done
[ -x "$app" ] || { echo "e2e: build the app first (make build-app)" >&2; exit 1; }
[ -x "$driver" ] || { echo "e2e: tauri-driver missing (make setup)" >&2; exit 1; }

root=$(mktemp -d /tmp/amanat-e2e.XXXXXX)
mkdir -p "$root/home" "$root/tmp" "$root/usb"
rm -rf "$shots" && mkdir -p "$shots"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${KEEP_E2E:-}" ] || rm -rf "$root"
}
trap cleanup EXIT

# No system font at all: only the fonts bundled in the app can draw its text.
fonts_conf=$root/fonts.conf
cat >"$fonts_conf" <<FONTS
<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <cachedir>$root/tmp/fontconfig</cachedir>
  <selectfont><rejectfont><glob>/*</glob></rejectfont></selectfont>
</fontconfig>
FONTS
if [ -n "${E2E_SYSTEM_FONTS:-}" ]; then
  fonts_conf=/etc/fonts/fonts.conf
  echo "e2e: system fonts visible (fc-list shows $(fc-list | wc -l))"
else
  visible=$(FONTCONFIG_FILE=$fonts_conf fc-list | wc -l)
  [ "$visible" -eq 0 ] || { echo "e2e: fontconfig still shows $visible system fonts" >&2; exit 1; }
  echo "e2e: system fonts hidden (fc-list shows $visible)"
fi

# A free X display; the socket lives in /tmp/.X11-unix, reachable from the namespace.
display=99
while [ -e "/tmp/.X11-unix/X$display" ]; do display=$((display + 1)); done
Xvfb ":$display" -screen 0 1280x1024x24 -nolisten tcp >"$root/xvfb.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X$display" ] && break; sleep 0.1; done

# Inside: loopback up (WebDriver only), tauri-driver under strace, then the tests.
inner=$(cat <<'INNER'
set -euo pipefail
ip link set lo up 2>/dev/null || true
# Own process group, so that the driver, WebKitWebDriver and any app left are stopped together.
setsid strace -f -qq -v -s 256 -e trace=process,connect -o "$E2E_ROOT/strace.log" "$E2E_DRIVER" >"$E2E_ROOT/driver.log" 2>&1 &
drv=$!
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/4444) 2>/dev/null && break; sleep 0.1; done
status=0
node --test --test-concurrency=1 "$@" || status=$?
kill -TERM -- "-$drv" 2>/dev/null || true
wait "$drv" 2>/dev/null || true
exit $status
INNER
)
if [ "$(id -u)" -eq 0 ]; then netns=(unshare --net); else netns=(unshare --net --map-root-user); fi

status=0
env HOME="$root/home" TMPDIR="$root/tmp" DISPLAY=":$display" \
  XDG_CONFIG_HOME= XDG_DATA_HOME= XDG_CACHE_HOME= XDG_RUNTIME_DIR="$root/tmp" \
  E2E_APP="$app" E2E_ROOT="$root" E2E_SHOTS="$shots" E2E_DRIVER="$driver" FONTCONFIG_FILE="$fonts_conf" \
  E2E_TOOLS="$repo/target/debug" \
  NO_AT_BRIDGE=1 "${netns[@]}" bash ${E2E_TRACE:+-x} -c "$inner" e2e "${tests[@]}" || status=$?
if [ $status -ne 0 ]; then
  echo "e2e: tests failed (driver log: $root/driver.log; KEEP_E2E=1 keeps it)" >&2
  tail -n 20 "$root/driver.log" >&2 || true
  exit $status
fi

node ui/e2e/connect-audit.mjs "$root/strace.log" "$app"
[ -f "$root/canaries.txt" ] || exit 0

# As a user runs it (no WebDriver, so the ephemeral WebKit store) in a namespace with no
# network at all, not even loopback: it must start its web process and keep running.
plain=$root/plain-home
mkdir -p "$plain"
HOME=$plain TMPDIR="$root/tmp" DISPLAY=":$display" XDG_RUNTIME_DIR="$root/tmp" NO_AT_BRIDGE=1 \
  FONTCONFIG_FILE="$fonts_conf" \
  "${netns[@]}" "$app" >"$root/plain.log" 2>&1 &
plain_pid=$!
pids+=($plain_pid)
sleep 8
if ! kill -0 "$plain_pid" 2>/dev/null; then
  echo "e2e: the app did not keep running without a network:" >&2
  cat "$root/plain.log" >&2
  exit 1
fi
web=0
for p in $(pgrep -f WebKitWebProcess || true); do
  tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "HOME=$plain" && web=$((web + 1))
done
kill "$plain_pid" 2>/dev/null || true
wait "$plain_pid" 2>/dev/null || true
# WebKit creates its folders with random salts and an HSTS database an offline app never
# fills; anything else would be stored web content.
stored=$(find "$plain" -type f ! -name salt ! -name hsts-storage.sqlite | wc -l)
echo "e2e: without any network the app ran 8 s with $web web process(es); other files WebKit left in its HOME: $stored"
if [ "$web" -lt 1 ] || [ "$stored" -ne 0 ]; then
  echo "e2e: expected a running web process and no stored web content" >&2
  find "$plain" -type f >&2
  exit 1
fi

# No plaintext: every canary typed in the app, searched as UTF-8 and UTF-16 in every place
# the app could have written (every vault the tests made: $root/vault*).
shopt -s nullglob
places=("$root"/vault* "$root/home" "$root/tmp")
hits=0
while IFS= read -r canary; do
  [ -n "$canary" ] || continue
  for enc in UTF-8 UTF-16LE; do
    pattern=$(printf '%s' "$canary" | iconv -f UTF-8 -t "$enc" | od -An -tx1 | tr -d ' \n')
    if LC_ALL=C grep -rlaP "$(printf '%s' "$pattern" | sed 's/../\\x&/g')" "${places[@]}" /dev/shm 2>/dev/null; then
      echo "e2e: canary found in plaintext ($enc): $canary" >&2
      hits=$((hits + 1))
    fi
  done
done <"$root/canaries.txt"
files=$(find "${places[@]}" -type f | wc -l)
if [ $hits -ne 0 ]; then exit 1; fi
echo "e2e: no canary in plaintext across $files files (${#places[@]} places: vaults, HOME, TMPDIR) and /dev/shm"
echo "e2e: screenshots in $shots"
