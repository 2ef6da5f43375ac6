#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# run-fuzz.sh TARGET RUNS SEED_DIR... - a bounded libFuzzer run: RUNS inputs
# from seed 1, starting from the seed directories (read only; new inputs go
# to a temporary directory), each input at most 10 s. Prints libFuzzer's
# last status line (executions, coverage); fails on a crash, a hang, a leak
# or a sanitizer report, leaving the reproducer's path in the output.
set -eu
target=$1 runs=$2
shift 2
work=$(mktemp -d "${TMPDIR:-/tmp}/fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus" "$work/crash"
rc=0
"$target" -seed=1 -runs="$runs" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
	-artifact_prefix="$work/crash/" -print_final_stats=1 \
	"$work/corpus" "$@" >"$work/log" 2>&1 || rc=$?
grep -E '^#[0-9]+.*(DONE|cov:)' "$work/log" | tail -1
grep -E '^stat::(number_of_executed_units|new_units_added)' "$work/log" || true
if [ "$rc" != 0 ]; then
	tail -40 "$work/log"
	ls "$work/crash" 2>/dev/null | sed "s|^|artifact (deleted with the run dir): |"
	exit 1
fi
