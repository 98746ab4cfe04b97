#!/usr/bin/env bash
# Builds release binaries and a Debian package: target/package/utter_<version>_amd64.deb.
#   utter-desktop and the utter CLI (on the PATH through /usr/bin), ONNX Runtime's library
#   beside them in /usr/lib/utter (never system-wide), the menu entry and icons, the model
#   catalog and the licences. No model is inside: the app downloads them on first start.
# Dependencies are read from the binaries (dpkg-shlibdeps), so `apt install ./utter_*.deb`
# pulls WebKitGTK, GTK, ALSA and the rest.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

"$root/scripts/install-deps.sh" --package
"$root/scripts/fetch-onnxruntime.sh" >/dev/null

version="$(sed -n 's/^version *= *"\(.*\)"/\1/p' Cargo.toml | head -1)"
arch="$(dpkg --print-architecture)"
cargo build --release --locked --workspace --bins

out="$root/target/package"
stage="$out/utter_${version}_${arch}"
rm -rf "$stage"
mkdir -p "$stage/DEBIAN"

lib="$stage/usr/lib/utter"
install -D -m 755 target/release/utter-desktop "$lib/utter-desktop"
install -D -m 755 target/release/utter "$lib/utter"
strip --strip-unneeded "$lib/utter-desktop" "$lib/utter"
# The binaries look for ONNX Runtime beside themselves first (/usr/lib/utter).
for so in .cache/onnxruntime/libonnxruntime.so*; do
  install -m 644 "$so" "$lib/$(basename "$so")"
done
mkdir -p "$stage/usr/bin"
ln -s ../lib/utter/utter-desktop "$stage/usr/bin/utter-desktop"
ln -s ../lib/utter/utter "$stage/usr/bin/utter"

install -D -m 644 src-tauri/packaging/utter.desktop "$stage/usr/share/applications/utter.desktop"
for size in 16 24 32 48 64 128 256; do
  dir="$stage/usr/share/icons/hicolor/${size}x${size}/apps"
  mkdir -p "$dir"
  convert icons/icon.png -resize "${size}x${size}" "$dir/utter.png"
done
install -D -m 644 models/catalog.toml "$stage/usr/share/utter/catalog.toml"
install -D -m 644 models/measure/clips.tsv "$stage/usr/share/utter/measure/clips.tsv"

doc="$stage/usr/share/doc/utter"
install -D -m 644 src-tauri/packaging/copyright "$doc/copyright"
install -m 644 README.md "$doc/README.md"
# Every Rust crate in the binaries, with its licence.
host="$(rustc -vV | sed -n 's/^host: //p')"
cargo metadata --locked --format-version 1 --filter-platform "$host" | python3 -c '
import json, sys
meta = json.load(sys.stdin)
nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
pkgs = {p["id"]: p for p in meta["packages"]}
seen, todo = set(), [m for m in meta["workspace_members"]]
while todo:
    i = todo.pop()
    if i in seen: continue
    seen.add(i)
    todo += [d["pkg"] for d in nodes[i]["deps"] if any(k["kind"] is None for k in d["dep_kinds"])]
print("Rust crates linked into utter and utter-desktop, with their licences:\n")
for i in sorted(seen, key=lambda i: pkgs[i]["name"]):
    p = pkgs[i]
    if i in meta["workspace_members"]: continue
    print("%s %s: %s" % (p["name"], p["version"], p.get("license") or "see its repository"))
' > "$doc/THIRD-PARTY.txt"
chmod 644 "$doc/THIRD-PARTY.txt"

install -m 755 src-tauri/packaging/postinst src-tauri/packaging/prerm src-tauri/packaging/postrm "$stage/DEBIAN/"

# Shared-library dependencies, as Debian names them (the tray's indicator library is loaded at
# run time, so it is named by hand).
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/debian"
printf 'Source: utter\n\nPackage: utter\nArchitecture: any\n' > "$work/debian/control"
depends="$(cd "$work" && dpkg-shlibdeps -O -l"$lib" -e"$lib/utter-desktop" -e"$lib/utter" 2>/dev/null \
  | sed -n 's/^shlibs:Depends=//p')"
installed_kb="$(du -sk "$stage/usr" | cut -f1)"
cat > "$stage/DEBIAN/control" <<CONTROL
Package: utter
Version: $version
Architecture: $arch
Maintainer: The Utter authors <utter@users.noreply.github.com>
Installed-Size: $installed_kb
Depends: $depends, libayatana-appindicator3-1 | libappindicator3-1
Recommends: pulseaudio | pipewire-pulse, xdg-desktop-portal
Suggests: wtype, ydotool
Section: utils
Priority: optional
Homepage: https://github.com/utter-dictation/utter
Description: local, private dictation for Linux (X11 and Wayland)
 Hold a key, speak, release: the text appears in the application you are in.
 Speech recognition (Whisper, Moonshine, NVIDIA Parakeet/Nemotron) runs on
 this machine; an optional LLM clean-up can use a local or remote server.
 Models are downloaded on first start.
CONTROL

deb="$out/utter_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
echo "$deb ($(du -h "$deb" | cut -f1), $((installed_kb / 1024)) MB installed)"
