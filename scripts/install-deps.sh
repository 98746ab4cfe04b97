#!/usr/bin/env bash
# Installs everything Utter's engine needs to build, run and be tested on Debian 12.
# Idempotent: safe to run again; does nothing that is already done.
#   scripts/install-deps.sh          build + run dependencies
#   scripts/install-deps.sh --test   also the headless test tools (PulseAudio, sox, ...) and
#                                    the packaging tools
#   scripts/install-deps.sh --package   build dependencies and the packaging tools
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"

want_test=0
want_package=0
[[ "${1:-}" == "--test" ]] && want_test=1 && want_package=1
[[ "${1:-}" == "--package" ]] && want_package=1

build_pkgs=(cmake clang libclang-dev pkg-config libasound2-dev libdbus-1-dev curl unzip ca-certificates
  # The desktop app: Tauri (WebKitGTK, GTK, tray), typing (libxdo), X11 clipboard.
  libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev
  # The recording indicator on Wayland: a layer-shell overlay.
  libgtk-layer-shell-dev)
# ALSA's `default` device routes to PulseAudio through libasound2-plugins: the virtual mic.
test_pkgs=(pulseaudio pulseaudio-utils alsa-utils libasound2-plugins sox lame espeak-ng python3 dbus-daemon dbus-bin gnome-keyring
  # Headless desktop tests: X server, key presses, target windows, clipboard, WebDriver.
  xvfb xdotool x11-utils xterm xclip zenity imagemagick webkit2gtk-driver
  # Native Wayland tests: a headless compositor, a native terminal, a virtual keyboard, its clipboard.
  sway foot wtype wl-clipboard grim
  # The GlobalShortcuts portal's real front end (its desktop back end is played by the tests).
  xdg-desktop-portal)

# Building the .deb (scripts/package.sh): package tools, icon sizes, the menu entry's check.
package_pkgs=(dpkg-dev binutils imagemagick desktop-file-utils python3 procps)

missing=()
check=("${build_pkgs[@]}")
((want_test)) && check+=("${test_pkgs[@]}")
((want_package)) && check+=("${package_pkgs[@]}")
for p in "${check[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  echo "installing system packages: ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "error: cargo not found. Install a Rust toolchain (1.85 or newer), e.g. from https://rustup.rs" >&2
  exit 1
fi

# WebDriver front for the settings-window tests (WebKitWebDriver comes from webkit2gtk-driver).
if ((want_test)) && ! command -v tauri-driver >/dev/null 2>&1 \
    && [[ ! -x "${CARGO_HOME:-$HOME/.cargo}/bin/tauri-driver" ]]; then
  echo "installing tauri-driver" >&2
  cargo install tauri-driver --version 2.1.0 --locked --quiet
fi

"$here/fetch-onnxruntime.sh"

# The NeMo engine tests generate tiny ONNX models with Python's onnx package (+ numpy for the
# log-mel reference), kept inside the repo's cache rather than the system's Python.
if ((want_test)) && ! PYTHONPATH="$root/.cache/pyfixtures" python3 -c "import onnx, numpy" 2>/dev/null; then
  echo "installing onnx and numpy for the test fixtures" >&2
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --target "$root/.cache/pyfixtures" \
    "onnx==1.23.2" "numpy==2.4.6" >&2
fi
