#!/usr/bin/env bash
# Speed of `smp simulate` (issue 3), as ratios measured in one run: the renderer against one
# copyTo of the photo (Google Benchmark, median of 15; target <= 8), the studio's 1600-px preview
# re-render after a design change (prepare_scene once, render_preview per design; target < 25 ms;
# on Debian's sample upscaled 2x with a real analysis, and on a dense synthetic top view), and
# the whole CLI on the sample upscaled 2x (12.3 MP): wall time minus model_load against its own
# OpenCV decode + q95 encode of the same photo alone (target <= 2), and peak memory (< 500 MB).
# Usage: bench/render.sh [BUILD_DIR]   (default: build; SMP_BENCH_CLI_ONLY=1 skips Google Benchmark)
set -euo pipefail
source "$(dirname "$0")/build.bash"

echo "== Google Benchmark (medians of 15): render_impressions vs copyTo (12 MP, target <= 8);"
echo "   1600-px preview re-render after a design change (render_preview, target < 25 ms),"
echo "   also as preview_over_copy (against one copyTo of the 1600-px image)"
[ -n "${SMP_BENCH_CLI_ONLY:-}" ] || "$BUILD/smp_bench" --benchmark_filter='render_vs_copy|preview_1600' \
  --benchmark_counters_tabular=true 2>&1 | grep -E '^Benchmark|_median'

echo "== smp simulate on the sample upscaled 2x (timings_ms of one run, as ratios)"
PHOTO=$(bash "$ROOT/scripts/sample-photo.sh")
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
convert "$PHOTO" -resize 200% -quality 92 "$TMP/12mp.jpg"
# The yardstick: OpenCV alone decoding this photo and encoding it at quality 95 (median of 15).
SMP_BENCH_PHOTO="$TMP/12mp.jpg" "$BUILD/smp_bench" --benchmark_filter='opencv_decode_encode' \
  --benchmark_format=json 2>/dev/null >"$TMP/io.json"
IO_MS=$(python3 -c 'import json,sys; print(next(b["io_ms"] for b in json.load(open(sys.argv[1]))["benchmarks"] if b.get("aggregate_name") == "median"))' "$TMP/io.json")
printf '  OpenCV decode + q95 encode of the same photo alone: %.0f ms (median of 15)\n' "$IO_MS"
# Nine runs, each line one run; the figure is the median (the machine's other load moves single
# runs by +-20 %).
for i in $(seq 9); do
  /usr/bin/time -f '%e %M' -o "$TMP/time" "$BUILD/smp" simulate "$TMP/12mp.jpg" -o "$TMP/after.jpg" \
    --json "$TMP/s.json"
  python3 - "$TMP/s.json" "$TMP/time" "$i" "$IO_MS" <<'PY' | tee -a "$TMP/runs.txt"
import json, sys
t = json.load(open(sys.argv[1]))["timings_ms"]
wall_s, rss_kb = open(sys.argv[2]).read().split()
wall = float(wall_s) * 1000
io = float(sys.argv[4])
print(f"  run {sys.argv[3]}: wall {wall:.0f} ms, model_load {t['model_load']:.0f}, "
      f"analyze {t['analyze']:.0f}, design {t['design']:.0f}, render {t['render']:.0f}, "
      f"smp's decode {t['decode']:.0f} + encode {t['encode']:.0f}; "
      f"(wall - model_load)/io {(wall - t['model_load']) / io:.2f}; "
      f"render/io {t['render'] / io:.3f}; peak RSS {int(rss_kb) / 1024:.0f} MB")
PY
done
python3 - "$TMP/runs.txt" <<'PY'
import re, statistics, sys
runs = open(sys.argv[1]).read().splitlines()
def med(key):
    return statistics.median(float(re.search(key + r" ([0-9.]+)", r).group(1)) for r in runs)
ratio = med(r"model_load\)/io")
print(f"  median of {len(runs)}: (wall - model_load)/(OpenCV decode+encode) {ratio:.2f} "
      f"(target <= 2, analysis included); wall {med('wall'):.0f} ms; "
      f"render/(OpenCV decode+encode) {med('render/io'):.3f}; peak RSS {med('RSS'):.0f} MB")
PY
