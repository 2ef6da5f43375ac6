# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=sh
# Suite "diff" (sourced by /init): the differential case list through the
# project's vfio backend on this kernel (tests/system/runner).
# shellcheck disable=SC2086 # word splitting of the group options is wanted
set -- $GROUP_ARGS --machine "$MACHINE" --boot "$BOOT" --seed "$SEED" --random "$RANDOM_N"
[ -n "$CASES" ] && set -- "$@" --cases "$CASES"
/bin/spapr-system-guest "$@" >/tmp/results.txt 2>/tmp/stderr.txt
echo "exit $?" >>/tmp/env.txt
