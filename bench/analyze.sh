#!/usr/bin/env bash
# Speed of `smp analyze`, as ratios measured in one run (a shared machine's absolute times swing
# with its load; a ratio of two steps timed back to back does not): analysis / JPEG decode,
# each stage's share of the analysis, each output / decode. On Debian's bald_guys.jpg (3.1 MP)
# and on it upscaled 2x (12.3 MP), then the same ratios from the CLI's own timings_ms.
# Usage: bench/analyze.sh [BUILD_DIR]   (default: build)
set -euo pipefail
source "$(dirname "$0")/build.bash"

echo "== Google Benchmark: ratios within each iteration (model load excluded)"
"$BUILD/smp_bench" --benchmark_filter='BM_AnalyzeRatios|BM_DetectThreads' --benchmark_counters_tabular=true

echo "== smp analyze --json --overlay --parts (timings_ms of one run, as ratios)"
PHOTO=$(bash "$ROOT/scripts/sample-photo.sh")
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
cp "$PHOTO" "$TMP/3mp.jpg"
if command -v convert >/dev/null; then convert "$PHOTO" -resize 200% -quality 92 "$TMP/12mp.jpg"; fi
for f in "$TMP"/3mp.jpg "$TMP"/12mp.jpg; do
  [ -f "$f" ] || continue
  for i in 1 2 3; do
    "$BUILD/smp" analyze "$f" --json "$TMP/a.json" --overlay "$TMP/o.png" --parts "$TMP/p.png"
    python3 - "$TMP/a.json" "$(basename "$f")" "$i" <<'EOF'
import json, sys
t = json.load(open(sys.argv[1]))["timings_ms"]
d, a = t["decode"], t["analyze"]
stages = ", ".join(f"{k} {t[k] / a:.2f}" for k in ("faces", "faces.hog", "faces.landmarks", "pose", "parts", "eyes", "scale", "scalp", "hairline") if k in t)
print(f"  {sys.argv[2]} run {sys.argv[3]}: decode {d:.0f} ms, analyze {a:.0f} ms (target < 400 at "
      f"12 MP); analyze/decode {a / d:.1f}; "
      f"overlay/decode {t['overlay'] / d:.1f}; parts_png/decode {t['parts_png'] / d:.1f}; "
      f"model_load/decode {t['model_load'] / d:.0f}; share of analyze: {stages}")
EOF
  done
done
