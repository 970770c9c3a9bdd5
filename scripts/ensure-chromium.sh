#!/bin/sh
# Installs Debian's Chromium (used headless by the e2e tests through playwright-core) when it is
# missing. Needs root and the Debian package mirrors; quiet unless something goes wrong.
#   CHROMIUM_PATH   where the tests expect the browser (default /usr/bin/chromium)
set -eu
CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$CHROMIUM_PATH" ]; then
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "ensure-chromium: $CHROMIUM_PATH is missing and installing it needs root (apt-get install chromium)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
log="$(mktemp)"
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core; } >"$log" 2>&1; then
  cat "$log" >&2
  rm -f "$log"
  echo "ensure-chromium: apt-get install chromium failed" >&2
  exit 1
fi
rm -f "$log"
if [ ! -x "$CHROMIUM_PATH" ]; then
  echo "ensure-chromium: chromium installed but $CHROMIUM_PATH does not exist" >&2
  exit 1
fi
"$CHROMIUM_PATH" --version 2>/dev/null || true
