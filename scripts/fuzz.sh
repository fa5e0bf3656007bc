#!/usr/bin/env bash
# Fuzzes the firmware's receive path (framing, COBS, CRC, ARQ link, CBOR message and body decoders)
# with libFuzzer under AddressSanitizer + UndefinedBehaviorSanitizer, on the host, around the
# firmware's own sources plus Zephyr's cobs.c/crc32_sw.c and zcbor taken from the workspace at
# build time (never copied into the repo). See firmware/fuzz/ and docs/reliability.md.
#
#   scripts/fuzz.sh [--seconds N] [--update-corpus] [--jobs N]
#
#   --seconds N        run time (default 120, the CI length)
#   --update-corpus    rewrite firmware/fuzz/corpus as the smallest set covering everything seen
#   --jobs N           parallel fuzzing processes (default 1)
# Exit status: 0 no finding, 1 a finding (crash input under build/fuzz/artifacts/), 2 set-up error.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=120 update=0 jobs=1
while (($#)); do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --update-corpus) update=1; shift ;;
    --jobs) jobs=$2; shift 2 ;;
    *) echo "usage: $0 [--seconds N] [--update-corpus] [--jobs N]" >&2; exit 2 ;;
  esac
done

zephyr_base=${ZEPHYR_BASE:-$HOME/zephyrproject/zephyr}
zcbor=${ZCBOR_BASE:-$zephyr_base/../modules/lib/zcbor}
if [[ ! -f $zephyr_base/lib/utils/cobs.c || ! -f $zcbor/src/zcbor_decode.c ]]; then
  echo "fuzz: no Zephyr workspace with zcbor at $zephyr_base (set ZEPHYR_BASE; see README.md)" >&2
  exit 2
fi

# The fuzz toolchain is installed here rather than by setup.sh, so the normal set-up stays lean.
fuzzer_ok() {
  command -v clang >/dev/null &&
    echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }' |
      clang -x c -fsanitize=fuzzer,address,undefined -o /dev/null - 2>/dev/null
}
if ! fuzzer_ok; then
  echo "fuzz: installing clang and the libFuzzer runtime (apt)"
  sudo_cmd=()
  if ((EUID != 0)); then sudo_cmd=(sudo); fi
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    clang libclang-rt-14-dev llvm >/dev/null
  fuzzer_ok || { echo "fuzz: clang cannot build a libFuzzer target" >&2; exit 2; }
fi

out=build/fuzz
mkdir -p "$out/work" "$out/artifacts" "$out/seeds"
bin=$out/fuzz_netbridge
echo "fuzz: building $bin (ASan + UBSan + libFuzzer)"
clang -g -O1 -std=gnu11 -Wall -Wno-unused-function \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
  -DZCBOR_CANONICAL \
  -Ifirmware/fuzz/shim -Ifirmware/src -Ifirmware/include -I"$zcbor/include" -idirafter "$zephyr_base/include" \
  firmware/fuzz/fuzz_netbridge.c firmware/src/nb_frame.c firmware/src/nb_link.c firmware/src/nb_msg.c \
  "$zephyr_base/lib/utils/cobs.c" "$zephyr_base/lib/crc/crc32_sw.c" \
  "$zcbor/src/zcbor_common.c" "$zcbor/src/zcbor_decode.c" "$zcbor/src/zcbor_encode.c" \
  -o "$bin"

rm -f "$out/seeds"/*
python3 firmware/fuzz/make_seeds.py proto/vectors/frames.json "$out/seeds"

echo "fuzz: running for $seconds s ($jobs job(s)); corpus firmware/fuzz/corpus + seeds"
status=0
opts=(-max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
  -artifact_prefix="$out/artifacts/")
if ((jobs > 1)); then opts+=(-fork="$jobs" -ignore_crashes=0); fi
"$bin" "${opts[@]}" "$out/work" firmware/fuzz/corpus "$out/seeds" 2>"$out/fuzz.log" || status=$?
grep -E '^(#[0-9]+.*DONE|stat::|Done )' "$out/fuzz.log" | tail -n 12 || true
if ((status != 0)); then
  tail -n 60 "$out/fuzz.log" >&2
  echo "fuzz: FINDING (exit $status); inputs in $out/artifacts/, log $out/fuzz.log" >&2
  exit 1
fi

if ((update)); then
  # Keep the committed corpus small: the fewest inputs that cover every feature found so far.
  rm -rf "$out/merged" && mkdir -p "$out/merged"
  "$bin" -set_cover_merge=1 -max_len=4096 "$out/merged" firmware/fuzz/corpus "$out/seeds" "$out/work" 2>>"$out/fuzz.log"
  rm -f firmware/fuzz/corpus/*
  cp "$out/merged"/* firmware/fuzz/corpus/
  echo "fuzz: firmware/fuzz/corpus now holds $(find firmware/fuzz/corpus -type f | wc -l) inputs"
fi
echo "fuzz: no finding in $seconds s"
