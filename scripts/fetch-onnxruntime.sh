#!/usr/bin/env bash
# Puts ONNX Runtime's shared library (needed by the Silero VAD through `ort`) into
# .cache/onnxruntime/ in the repo. It comes from the official `onnxruntime` wheel on PyPI,
# because ort's own build-time download reaches a CDN that is not always reachable.
# Prints the library's path. Idempotent.
set -euo pipefail
ORT_VERSION="${UTTER_ORT_VERSION:-1.32.0}"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/.cache/onnxruntime"
lib="$dest/libonnxruntime.so.$ORT_VERSION"

if [[ ! -f "$lib" ]]; then
  mkdir -p "$dest"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  echo "fetching onnxruntime $ORT_VERSION from PyPI" >&2
  python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.11 \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
    -d "$tmp" "onnxruntime==$ORT_VERSION" >&2
  wheel="$(ls "$tmp"/onnxruntime-*.whl)"
  unzip -q -j -o "$wheel" "onnxruntime/capi/libonnxruntime.so.$ORT_VERSION" -d "$tmp/lib"
  mv "$tmp/lib/libonnxruntime.so.$ORT_VERSION" "$lib.tmp"
  mv "$lib.tmp" "$lib"
fi
ln -sfn "$(basename "$lib")" "$dest/libonnxruntime.so"
echo "$dest/libonnxruntime.so"
