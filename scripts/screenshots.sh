#!/usr/bin/env bash
# Refresh the README's pictures of the settings window: the WebDriver test photographs each
# section under Xvfb into target/screenshots/; this copies them into docs/screenshots/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export UTTER_SHARED_DIR="${UTTER_SHARED_DIR:-$root/../shared}"
export ORT_DYLIB_PATH="${ORT_DYLIB_PATH:-$root/.cache/onnxruntime/libonnxruntime.so}"
cargo build --workspace --bins --locked
cargo test --locked --test settings_window settings_changed_in_the_window_persist_across_a_restart
cargo test --locked --test settings_models
cargo test --locked --test eval a_golden_set_from_corrected_dictations_compares_two_whisper_models
mkdir -p docs/screenshots
cp target/screenshots/settings-*.png target/screenshots/eval-report.png docs/screenshots/
echo "docs/screenshots/ updated"
