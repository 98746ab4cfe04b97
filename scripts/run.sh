#!/usr/bin/env bash
# Installs what Utter needs, builds it, makes sure a model is present, and starts the desktop
# app (hold Ctrl+Alt+Space, speak, release). Extra arguments go to `utter-desktop`.
# Without a display (no DISPLAY/WAYLAND_DISPLAY) it runs `utter listen` in the terminal instead.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

"$root/scripts/install-deps.sh"
cargo build --release --locked --workspace --bins
# The binary finds ONNX Runtime next to itself.
cp -L "$root/.cache/onnxruntime/libonnxruntime.so" "$root/target/release/libonnxruntime.so"
utter="$root/target/release/utter"

need_download() { ! "$utter" models list --json | python3 -c "
import json, sys
models = json.load(sys.stdin)
vad = any(m['engine'] == 'silero-vad' and m['installed'] for m in models)
stt = any(m['engine'] == 'whisper' and m['installed'] for m in models)
sys.exit(0 if vad and stt else 1)"; }
if need_download; then
  echo "downloading the default models into $("$utter" models dir)" >&2
  if ! "$utter" models download silero-vad base-q8_0; then
    echo "error: could not download the models. Copy ggml-*.bin and silero_vad.onnx into a folder" >&2
    echo "       and point UTTER_MODELS_DIR at it (e.g. UTTER_MODELS_DIR=../shared/models)." >&2
    exit 1
  fi
fi
# `--model NAME` (e.g. moonshine-base-en): fetch that catalog model too if it is not there yet.
wanted=""
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    --model) wanted="${args[i + 1]:-}" ;;
    --model=*) wanted="${args[i]#--model=}" ;;
  esac
done
if [[ -n "$wanted" && "$wanted" != */* ]] && ! "$utter" models list --json | python3 -c "
import json, sys
sys.exit(0 if any(m['name'] == sys.argv[1] and m['installed'] for m in json.load(sys.stdin)) else 1)" "$wanted"; then
  "$utter" models download "$wanted"
fi
if [[ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]]; then
  exec "$root/target/release/utter-desktop" "$@"
fi
echo "no display: running 'utter listen' in this terminal" >&2
# listen is hands-free: it hears when you have finished with the end-of-turn model. Without it
# a pause ends the dictation, so a failed download is only a warning.
if ! "$utter" models list --json | python3 -c "
import json, sys
sys.exit(0 if any(m['engine'] == 'smart-turn' and m['installed'] for m in json.load(sys.stdin)) else 1)"; then
  "$utter" models download smart-turn-v3.2 || echo "warning: no end-of-turn model; a pause will end each dictation" >&2
fi
exec "$utter" listen "$@"
