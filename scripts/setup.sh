#!/usr/bin/env bash
# Installs what building, running and testing Amanat needs on Debian/Ubuntu, skipping what is
# there: system packages, the UI's npm packages, and tauri-driver for the end-to-end tests.
# Safe to run again. Uses sudo only when not root.
set -euo pipefail
cd "$(dirname "$0")/.."

# Build tools, WebKitGTK for the app, and what the end-to-end tests drive it with; ImageMagick
# (the package test watches the screen with `import`/`convert`), debootstrap (the fresh
# Debian it installs the package into), AFL++ (the fuzzer and the runtime its targets link)
# and mold (a linker several times faster than ld for the two dozen test binaries). `make tools-check` fails if a script or test calls a
# program none of these (or the base system) provides.
packages=(build-essential pkg-config libssl-dev libwebkit2gtk-4.1-dev libsoup-3.0-dev
  librsvg2-dev xvfb webkit2gtk-driver strace iproute2 util-linux procps fontconfig
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-gl gstreamer1.0-tools xdotool
  imagemagick debootstrap afl++ mold)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
command -v node >/dev/null 2>&1 || missing+=(nodejs npm)

if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: Rust is missing. Install it from your distribution or with rustup (stable >= 1.95)." >&2
  exit 1
fi
# Lints run as the compiler of our own crates in every dev build (scripts/dev-build.sh).
if ! command -v clippy-driver >/dev/null 2>&1; then
  if command -v rustup >/dev/null 2>&1; then
    echo "setup: rustup component add clippy rustfmt"
    rustup component add clippy rustfmt
  else
    echo "setup: clippy is missing; install your distribution's rust-clippy (or use rustup)." >&2
    exit 1
  fi
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "setup: Node.js $(node -v) is too old for the UI build; install Node.js 20 or newer." >&2
  exit 1
fi

# The UI's packages, exactly as locked. Install scripts stay off: none is needed, and some
# (webdriver helpers) would try to download browsers.
if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  echo "setup: npm ci (ui)"
  npm --prefix ui ci --ignore-scripts --no-audit --no-fund >/dev/null
fi

# tauri-driver bridges WebDriver to WebKitWebDriver; kept inside target/ so nothing global changes.
if [ ! -x target/tools/bin/tauri-driver ]; then
  echo "setup: cargo install tauri-driver"
  cargo install tauri-driver --version '^2' --locked --root target/tools --quiet
fi
