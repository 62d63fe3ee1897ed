#!/usr/bin/env bash
# Prints the path of the default sample photo (bald_guys.jpg from Debian's libdlib19.1).
for d in /usr/share/doc/libdlib19.1/examples/faces "${SMP_CACHE:-$HOME/.cache/smp}/libdlib19.1/usr/share/doc/libdlib19.1/examples/faces"; do
  [ -f "$d/bald_guys.jpg" ] && { echo "$d/bald_guys.jpg"; exit 0; }
done
echo "sample photo bald_guys.jpg not found: run scripts/install-deps.sh" >&2; exit 1
