#!/usr/bin/env bash
# Installs the Debian bookworm packages SMP Studio builds and runs with. Idempotent and quick when
# everything is present: it only calls apt-get for what dpkg says is missing.
set -euo pipefail

PACKAGES=(
  cmake ninja-build g++ pkg-config make
  libopencv-dev            # image decode/encode, imgproc, GrabCut, solvePnP, ECC, ml
  opencv-data              # Haar eye cascade: eyes of a chin-down head (no dlib face)
  libdlib-dev libdlib-data # face detector + 68-point landmark model
  libdlib19.1              # ships the sample photo bald_guys.jpg (examples/faces)
  libheif-dev              # HEIC/HEIF photos from phones
  # JPEG / PNG / WebP / TIFF through the codec libraries directly: OpenCV's imgcodecs drags GDAL
  # and ~230 shared libraries into every `smp` start (~0.27 s)
  libjpeg62-turbo-dev libpng-dev libwebp-dev libtiff-dev
  liblcms2-dev             # ICC profile -> sRGB conversion
  libexif-dev              # EXIF orientation of photos
  libcairo2-dev            # PDF report
  nlohmann-json3-dev libcli11-dev libcpp-httplib-dev libsqlite3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
)
[ "${SMP_WITH_TEST_TOOLS:-0}" = 1 ] && PACKAGES+=(poppler-utils imagemagick chromium)
# The browser test's driver (playwright-core, from tests/web/package-lock.json) needs node + npm;
# Debian's are installed only where the machine has none.
if [ "${SMP_WITH_TEST_TOOLS:-0}" = 1 ] && ! command -v npm >/dev/null; then PACKAGES+=(nodejs npm); fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# A minimal image may drop /usr/share/doc (dpkg path-exclude): then unpack the sample photo from
# the .deb into a cache folder of ours.
SAMPLE=/usr/share/doc/libdlib19.1/examples/faces/bald_guys.jpg
CACHE="${SMP_CACHE:-$HOME/.cache/smp}/libdlib19.1"
if [ ! -f "$SAMPLE" ] && [ ! -f "$CACHE/usr/share/doc/libdlib19.1/examples/faces/bald_guys.jpg" ]; then
  echo "install-deps: unpacking the sample photos from libdlib19.1's .deb into $CACHE" >&2
  tmp=$(mktemp -d)
  # apt-get download needs current package lists; refresh them once if the first try fails.
  if ! (cd "$tmp" && apt-get download libdlib19.1 >/dev/null 2>&1); then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    (cd "$tmp" && apt-get download libdlib19.1 >/dev/null)
  fi
  mkdir -p "$CACHE"; dpkg-deb -x "$tmp"/libdlib19.1_*.deb "$CACHE"; rm -rf "$tmp"
fi
