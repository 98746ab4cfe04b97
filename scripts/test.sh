#!/usr/bin/env bash
# Runs Utter's whole test suite on a fresh Debian 12 machine: installs what it needs
# (system packages, ONNX Runtime), checks formatting and lints, then runs every test with
# the real models and clips from ../shared (override with UTTER_SHARED_DIR).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

"$root/scripts/install-deps.sh" --test

shared="${UTTER_SHARED_DIR:-$root/../shared}"
if [[ ! -f "$shared/models/silero_vad.onnx" ]]; then
  echo "error: test models not found in $shared/models (set UTTER_SHARED_DIR)" >&2
  exit 1
fi
export UTTER_SHARED_DIR="$shared"
export ORT_DYLIB_PATH="$root/.cache/onnxruntime/libonnxruntime.so"

# Always the whole workspace, so every command sees the same features and nothing rebuilds.
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
# The end-to-end tests drive the real desktop binary; build it before the tests run.
cargo build --workspace --bins --locked
cargo test --workspace --all-targets --locked --no-fail-fast
