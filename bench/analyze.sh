#!/usr/bin/env bash
# Speed of `smp analyze` on a 12-megapixel photo (Debian's bald_guys.jpg upscaled 2x), with the
# face model already loaded: Google Benchmark figures per stage, then the CLI's own timings_ms.
# Usage: bench/analyze.sh [BUILD_DIR]   (default: build)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${1:-$ROOT/build}"
[ -f "$BUILD/build.ninja" ] || cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C "$BUILD" -j"$(nproc)" smp_cli smp_bench >/dev/null

echo "== Google Benchmark (model load excluded; 12.3 MP JPEG decoded from memory)"
"$BUILD/smp_bench" --benchmark_filter='12MP' --benchmark_counters_tabular=true

echo "== smp analyze --json on the same photo (timings_ms; 'analyze' excludes decode, model load and outputs)"
PHOTO=$(bash "$ROOT/scripts/sample-photo.sh")
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
if command -v convert >/dev/null; then
  convert "$PHOTO" -resize 200% -quality 92 "$TMP/12mp.jpg"
  for i in 1 2 3; do
    "$BUILD/smp" analyze "$TMP/12mp.jpg" --json "$TMP/a.json" --overlay "$TMP/o.png" --parts "$TMP/p.png"
    echo "  run $i: $(sed -n '/"timings_ms"/,/}/p' "$TMP/a.json" | grep -o '"[a-z_]*": [0-9.]*' | tr -d '"' | awk '{printf "%s %.0f, ", $1, $2}')"
  done
else
  echo "  (imagemagick's convert not installed: skipped)"
fi
