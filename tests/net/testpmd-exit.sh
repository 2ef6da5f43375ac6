#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# testpmd-exit.sh PLUGIN PMD PROFILE - stock dpdk-testpmd leaves through
# rte_exit() with its ports probed and open: its mbuf pool is larger than
# the process may map (the plugin's allocation validator, or the hugepages
# there are, refuses it), so testpmd exits with status 1 through
# rte_eal_cleanup(), whose bus cleanups remove the ports that nobody closed.
# The plugin's bus is cleaned up first; its windows and the host model must
# outlive those ports: the model NIC reports its counters as it closes, and
# the process ends with status 1, not with a crash in the freed model.
# Exit 77 (skip) without root, hugepages or dpdk-testpmd.
set -u
plugin=$1
pmd=$2
profile=$3

. "$(dirname "$0")/../lib/testpmd-env.sh"
testpmd_env "$plugin" "$pmd"
plugin=${DPDK_PLUGIN_PATHS[0]} pmd=${DPDK_PLUGIN_PATHS[1]}

prefix=spapr-exit-$$
# 1000000 mbufs (about 2 GiB): more than the window or the hugepages hold.
out=$(timeout 60 dpdk-testpmd -l 0-1 --no-pci --no-telemetry --file-prefix "$prefix" \
	--huge-dir "$huge" --huge-unlink -d "$plugin" -d "$pmd" \
	-a "bus=spapr,backend=model,profile=$profile" \
	--vdev net_spapr_model0 --vdev net_spapr_model1 \
	-- --total-num-mbufs=1000000 -a 2>&1)
rc=$?
rm -rf "/var/run/dpdk/$prefix"
echo "$out" | grep -E "spapr: (plan|memory growth)|Creation of mbuf pool|net_spapr_model: PE|DMA fault"
fail=0
[ $rc = 1 ] || { echo "FAIL: testpmd exit status $rc, 1 (rte_exit) expected"; fail=1; }
echo "$out" | grep -q "Creation of mbuf pool .*: Cannot allocate memory" ||
	{ echo "FAIL: the mbuf pool was not refused as out of memory"; fail=1; }
[ "$(echo "$out" | grep -c "^net_spapr_model: PE 0: ")" = 1 ] ||
	{ echo "FAIL: the model NIC did not report its counters as its ports closed"; fail=1; }
echo "$out" | grep -q "DMA fault" && { echo "FAIL: a DMA fault"; fail=1; }
exit $fail
