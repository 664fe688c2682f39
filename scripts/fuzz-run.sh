#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run a libFuzzer binary for a bounded time from committed seeds; new inputs
# go to OUT/corpus (kept between runs), crashes to OUT/artifacts.
# usage: fuzz-run.sh BIN OUT SECONDS MAX_LEN SEED_DIR [LOG_NAME]
set -euo pipefail
[ $# -ge 5 ] || { echo "usage: $0 BIN OUT SECONDS MAX_LEN SEED_DIR [LOG_NAME]" >&2; exit 2; }
bin=$1 out=$2 secs=$3 max_len=$4 seeds=$5 log=$2/${6:-fuzz}.log
mkdir -p "$out/corpus" "$out/artifacts"
if ! "$bin" -max_total_time="$secs" -max_len="$max_len" -timeout=10 \
	-artifact_prefix="$out/artifacts/" -print_final_stats=1 \
	"$out/corpus" "$seeds" 2> "$log"; then
	tail -40 "$log"
	echo "fuzz-run: $bin failed (log: $log)" >&2
	exit 1
fi
grep -E 'stat::number_of_executed_units|Done' "$log" | tail -2
