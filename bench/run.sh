#!/usr/bin/env bash
# Whole-process and per-stage timings, reported as ratios measured in one run (see README).
set -euo pipefail
BUILD="${1:-build}"
here="$(cd "$(dirname "$0")" && pwd)"
for s in "$here"/*.sh; do
  [ "$(basename "$s")" = run.sh ] && continue
  echo "== $(basename "$s")"
  bash "$s" "$BUILD"
done
