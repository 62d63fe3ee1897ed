#!/usr/bin/env bash
# `make run`: the main job on the default sample photo (Debian's bald_guys.jpg; its largest face is
# the client): analysis, the simulated "after SMP" photo, how it fades, and the quote.
# Prints where the results are.
set -euo pipefail
SMP="$1"; OUT="$2"
PHOTO=$(bash "$(dirname "$0")/sample-photo.sh")
mkdir -p "$OUT"
cp "$PHOTO" "$OUT/before.jpg"
"$SMP" analyze "$PHOTO" --json "$OUT/analysis.json" --overlay "$OUT/overlay.jpg" --parts "$OUT/parts.png"
"$SMP" simulate "$PHOTO" -o "$OUT/after.jpg" --json "$OUT/simulation.json" \
  --impressions "$OUT/impressions.csv" --sessions-strip "$OUT/sessions.jpg"
"$SMP" age "$PHOTO" --years 0,1,2,4,6,8 -o "$OUT/fading.jpg" --plot "$OUT/fading.svg" \
  --json "$OUT/fading.json" >/dev/null
"$SMP" plan "$PHOTO" --json "$OUT/plan.json" --html "$OUT/plan.html" --pdf "$OUT/plan.pdf" >/dev/null
cat <<EOF
SMP Studio sample results in $OUT/:
  before / after:   $OUT/before.jpg  $OUT/after.jpg   (report: $OUT/simulation.json)
  sessions 1-3:     $OUT/sessions.jpg    impression map: $OUT/impressions.csv
  analysis:         $OUT/analysis.json  $OUT/overlay.jpg  $OUT/parts.png
  fading over time: $OUT/fading.jpg  $OUT/fading.svg  ($OUT/fading.json)
  quote:            $OUT/plan.pdf  $OUT/plan.html  ($OUT/plan.json)
EOF
