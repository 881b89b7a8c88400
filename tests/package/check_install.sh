#!/usr/bin/env bash
# Installs the built tree into a scratch prefix, builds tests/package against it with
# find_package(vulkanite), and runs the result: the sum of 1..1000 must be 500500.
set -euo pipefail
build=$1 source=$2 scratch=$3
rm -rf "$scratch"
cmake --install "$build" --prefix "$scratch/prefix" >/dev/null
cmake -S "$source/tests/package" -B "$scratch/consumer" -G Ninja -DCMAKE_PREFIX_PATH="$scratch/prefix" >/dev/null
cmake --build "$scratch/consumer" >/dev/null
result=$("$scratch/consumer/consumer")
[[ "$result" == "500500.0" ]] || { echo "consumer printed '$result', expected 500500.0"; exit 1; }
echo "find_package(vulkanite) consumer: $result"
