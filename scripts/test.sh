#!/usr/bin/env bash
# The whole test run (npm test): the unit tier, then, when a Zephyr workspace is present, the firmware
# tier (ztest on native_sim) and the HIL tier on the three emulated targets and two variants (shared
# console, ASan/UBSan: a sanitizer report fails it).
# Ends with "N passed, N failed" summed over the tiers.
set -uo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d "${TMPDIR:-/tmp}/netbridge-test.XXXXXX")
trap 'rm -rf "$work"' EXIT

# count FILE KEY...: sums numeric fields of a JSON report (missing file or key -> 0)
count() {
  node -e '
    const fs = require("fs");
    let r = {};
    try { r = JSON.parse(fs.readFileSync(process.argv[1], "utf8")); } catch {}
    console.log(process.argv.slice(2).reduce((n, k) => n + (Number(r[k]) || 0), 0));
  ' "$@"
}

started=$SECONDS
echo "=== unit tier (typecheck + vitest) ==="
npm run --silent test:unit -- --reporter=default --reporter=json --outputFile.json="$work/unit.json"
unit_status=$?
unit_passed=$(count "$work/unit.json" numPassedTests)
unit_failed=$(count "$work/unit.json" numFailedTests)
# A typecheck failure or a file that does not load fails the tier without failing a test: count it.
if ((unit_status != 0 && unit_failed == 0)); then unit_failed=1; fi
echo "unit tier: $unit_passed passed, $unit_failed failed ($((SECONDS - started)) s)"

hil_passed=0 hil_failed=0 hil_status=0 fw_passed=0 fw_failed=0 fw_status=0
zephyr_base=${ZEPHYR_BASE:-$HOME/zephyrproject/zephyr}
if [[ -f $zephyr_base/VERSION ]]; then
  echo "=== firmware tier (ztest suites on native_sim, golden vectors) ==="
  fw_started=$SECONDS
  rm -f hil/.work/ztest-report.json
  npm run --silent ztest
  fw_status=$?
  fw_passed=$(count hil/.work/ztest-report.json passed)
  fw_failed=$(count hil/.work/ztest-report.json failed)
  if ((fw_status != 0 && fw_failed == 0)); then fw_failed=1; fi
  echo "firmware tier: $fw_passed passed, $fw_failed failed ($((SECONDS - fw_started)) s)"

  echo "=== HIL tier (mps2/an385, qemu_cortex_m3, native_sim, mps2/an385+shared-console, native_sim+asan) ==="
  hil_started=$SECONDS
  rm -f hil/.work/report.json
  npm run --silent hil
  hil_status=$?
  hil_passed=$(count hil/.work/report.json passed)
  hil_failed=$(count hil/.work/report.json failed)
  if ((hil_status != 0 && hil_failed == 0)); then hil_failed=1; fi
  echo "HIL tier: $hil_passed passed, $hil_failed failed ($((SECONDS - hil_started)) s)"
else
  cat <<MSG

######################################################################
#  HIL TIER SKIPPED: no Zephyr workspace found
#  (ZEPHYR_BASE or ~/zephyrproject/zephyr)
#  Only the unit tier ran. See README.md, "Getting Zephyr", then
#  run npm test again (or npm run hil for the HIL tier alone).
######################################################################

MSG
fi

echo "total time $((SECONDS - started)) s"
echo "$((unit_passed + fw_passed + hil_passed)) passed, $((unit_failed + fw_failed + hil_failed)) failed"
if ((unit_status != 0)); then exit "$unit_status"; fi
if ((fw_status != 0)); then exit "$fw_status"; fi
exit "$hil_status"
