#!/usr/bin/env bash
# `make run`: the main job on the default sample photo; prints where the results are.
set -euo pipefail
SMP="$1"; OUT="$2"
PHOTO=$(bash "$(dirname "$0")/sample-photo.sh")
"$SMP" analyze "$PHOTO" --json "$OUT/analysis.json" --overlay "$OUT/overlay.png" --parts "$OUT/parts.png"
echo "analysis: $OUT/analysis.json, overlay: $OUT/overlay.png, parts map: $OUT/parts.png"
