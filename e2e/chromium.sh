#!/bin/sh
# The browser the e2e tests launch: Debian's Chromium (CHROMIUM_PATH, else /usr/bin/chromium)
# without the browser's own UI pages. Each new browser context of a headless Chromium 156 also
# loads the omnibox popup and its "AI mode" variant as WebUI pages in a renderer of their own
# (chrome://omnibox-popup.top-chrome/, ≈ 400 scripts): 1.4 s of CPU per context here, 13 s for
# six empty contexts against 3.3 s without them, and the suite opens well over a hundred. Nothing
# a test drives is in them.
#
# Playwright passes its own --disable-features list and Chromium keeps only the last of repeated
# switches, so these are appended to Playwright's list instead of passed as a second switch.
exe="${CHROMIUM_PATH:-/usr/bin/chromium}"
extra="WebUIOmniboxPopup,WebUIOmniboxAimPopup,PreloadTopChromeWebUI"
seen=""
for arg do
  shift
  case "$arg" in
    --disable-features=*)
      arg="$arg,$extra"
      seen=1
      ;;
  esac
  set -- "$@" "$arg"
done
[ -n "$seen" ] || set -- "$@" "--disable-features=$extra"
exec "$exe" "$@"
