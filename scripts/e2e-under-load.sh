#!/usr/bin/env bash
# The browser suite N times in a row (default 5) while `npm run bench` loads the CPU: the flake
# check issue 9 asks for. Logs and a one-line summary per run go to OUT (default /tmp/e2e-under-load).
# Usage: bash scripts/e2e-under-load.sh [runs]   (build the web app first: npx turbo run build --filter=@parley/web)
set -u
cd "$(dirname "$0")/.."
runs=${1:-5}
out=${OUT:-/tmp/e2e-under-load}
rm -rf "$out" && mkdir -p "$out"
( while :; do npm run bench -- --connections 200 --rate 200 --duration 120 --no-baseline >>"$out/bench.log" 2>&1; done ) &
load=$!
trap 'kill $load 2>/dev/null; pkill -f "bench/src" 2>/dev/null' EXIT
sleep 20
failed=0
for i in $(seq 1 "$runs"); do
  start=$(date +%s)
  E2E_PORT=${E2E_PORT:-3300} node scripts/with-test-db.mjs npx playwright test -c e2e/playwright.config.ts >"$out/run$i.log" 2>&1
  rc=$?
  [ $rc -eq 0 ] || failed=$((failed + 1))
  echo "run $i exit=$rc secs=$(($(date +%s) - start)) load=$(cut -d' ' -f1-3 /proc/loadavg) $(grep -E '^\s+[0-9]+ (passed|failed|flaky|did not run)' "$out/run$i.log" | tr -s ' ' | tr '\n' ' ')" | tee -a "$out/summary"
done
echo "$((runs - failed)) of $runs runs passed" | tee -a "$out/summary"
[ $failed -eq 0 ]
