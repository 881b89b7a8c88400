#!/usr/bin/env bash
# Runs every benchmark executable of a build, prints its table and writes DIR/NAME.json (and the
# table as DIR/NAME.txt). Extra arguments go to every executable, e.g. --peak-gbs=3350.
# Usage: [VULKANITE_BUILD=build] bench/run_all.sh [DIR=./bench-results] [flags...]
set -uo pipefail
out=./bench-results
if (( $# > 0 )) && [[ $1 != -* ]]; then  # a first argument that is a flag leaves DIR at its default
  out=$1
  shift
fi
build=${VULKANITE_BUILD:-./build}
mkdir -p "$out"

shopt -s nullglob
executables=("$build"/bench/vulkanite_*_bench)
if (( ${#executables[@]} == 0 )); then
  echo "run_all.sh: no $build/bench/vulkanite_*_bench; build with -DVULKANITE_BUILD_BENCH=ON or set VULKANITE_BUILD" >&2
  exit 1
fi

status=0
for exe in "${executables[@]}"; do
  name=$(basename "$exe")
  echo "== $name"
  # A failing executable does not stop the others; the script's status reports it.
  "$exe" --benchmark_out="$out/$name.json" --benchmark_out_format=json \
         --benchmark_counters_tabular=true "$@" 2>&1 | tee "$out/$name.txt"
  rc=${PIPESTATUS[0]}
  if (( rc != 0 )); then
    echo "run_all.sh: $name exited with $rc" >&2
    status=1
  fi
done
echo "results in $out"
exit $status
