#!/usr/bin/env bash
# Long coverage-guided fuzzing of the parsers: builds the `fuzz` preset (clang, every library
# instrumented, ASan + UBSan; `tools/setup.sh --fuzz` installs clang) and runs each libFuzzer
# target for SECONDS from its corpus (seeded by the build, grown by every run), two at a time.
#
# Usage: tools/fuzz.sh [SECONDS] [TARGET...]     (default: 1800 s, every target)
# Logs, crash inputs and a summary: build/fuzz/runs/. Exit status 1 when any target found something.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-1800}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(instruction scenario sweep_plan lstm_instruction package elf_loader onnx_import calibration)

cmake --preset fuzz >/dev/null
cmake --build build/fuzz -j2 --target "${targets[@]/#/fuzz_}"
runs=build/fuzz/runs
mkdir -p "$runs"

run_one() {
  local target=$1 seconds=$2 runs=$3
  local log="$runs/$target.log"
  if build/fuzz/tests/fuzz/fuzz_"$target" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=60 \
       -print_final_stats=1 -artifact_prefix="$runs/${target}_" build/fuzz/tests/fuzz/corpus/"$target" >"$log" 2>&1; then
    result="no finding"
  else
    result="FINDING (see $log)"
  fi
  local execs
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  echo "$target: ${execs:-?} executions in $seconds s: $result"
}
export -f run_one

printf '%s\n' "${targets[@]}" | xargs -P 2 -I{} bash -c 'run_one "$@"' _ {} "$seconds" "$runs" | tee "$runs/summary.txt"
! grep -q FINDING "$runs/summary.txt"
