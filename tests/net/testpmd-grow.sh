#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# testpmd-grow.sh PLUGIN PMD PROFILE [MP_ALLOC [OPTIONS [EXPECT]]] - stock
# dpdk-testpmd WITHOUT -m between two net_spapr_model ports. DPDK starts
# with a few MiB and grows its heap for the mbuf pool and the rings after
# the plugin's probe, so the window must have been planned for that growth
# (the plan line says how much room and what bounds it). MP_ALLOC is
# testpmd's --mp-alloc (native by default; xmem/xmemhuge put the mbufs in
# external memory added with rte_malloc_heap_memory_add; anon in its own
# anonymous memory, rte_extmem_register and rte_dev_dma_map); OPTIONS are
# more plugin devargs, comma-separated (xmem's 4 KiB pages need page_size=4K).
# EXPECT:
#   forwards (default)  it forwards with no DMA fault;
#   refused             the mbufs would be in memory no window maps (pages
#                       smaller than the TCEs, more than an indirect window
#                       holds, memory DPDK does not map): the plugin refuses
#                       the pool's chunks and testpmd exits with status 1 on
#                       the pool's ENOBUFS, no port having moved a packet.
# Exit 77 (skip) without root, hugepages or dpdk-testpmd.
set -u
plugin=$1
pmd=$2
profile=$3
mp_alloc=${4:-native}
extra=${5:+,$5}
expect=${6:-forwards}

. "$(dirname "$0")/../lib/testpmd-env.sh"
testpmd_env "$plugin" "$pmd"
plugin=${DPDK_PLUGIN_PATHS[0]} pmd=${DPDK_PLUGIN_PATHS[1]}

prefix=spapr-grow-$$
# 4096 mbufs (~9 MiB) outgrow what a window sized for the memory present at
# probe (2 MiB) would hold.
out=$( { echo start; sleep 1; echo stop; echo "show port xstats 0"; echo "show port xstats 1"
	 echo quit; } |
	timeout 60 dpdk-testpmd -l 0-1 --no-pci --no-telemetry --file-prefix "$prefix" \
		--huge-dir "$huge" --huge-unlink -d "$plugin" -d "$pmd" \
		-a "bus=spapr,backend=model,profile=$profile$extra" \
		--vdev net_spapr_model0 --vdev net_spapr_model1 \
		-- -i --total-num-mbufs=4096 --no-flush-rx --mp-alloc="$mp_alloc" 2>&1)
rc=$?
rm -rf "/var/run/dpdk/$prefix"
echo "$out" | grep -E "spapr: (plan|memory|mempool|refused)|Cause:|DMA fault|TX-packets|^pe_faults|^dma_faults|Bye" |
	cut -c1-400
# xmemhuge takes 128 MiB and more of hugepages for itself, which other
# programs may hold: a shortage is no result.
if echo "$out" | grep -q "Could not create external memory"; then
	echo "SKIP: testpmd could not allocate its external memory (hugepages free: $(awk \
		'/HugePages_Free/ {print $2}' /proc/meminfo))"
	exit 77
fi
fail=0
echo "$out" | grep -qE "spapr: plan: container 0 .*, room" || { echo "FAIL: no plan line with its room"; fail=1; }
echo "$out" | grep -q "DMA fault" && { echo "FAIL: a DMA fault"; fail=1; }
if [ "$expect" = refused ]; then
	[ $rc = 1 ] || { echo "FAIL: testpmd exit status $rc, expected 1 (mbuf pool refused)"; fail=1; }
	echo "$out" | grep -q "spapr: mempool mb_pool_0: chunk .* refused" ||
		{ echo "FAIL: the plugin refused no chunk of mb_pool_0"; fail=1; }
	echo "$out" | grep -q "Creation of mbuf pool for socket 0 failed: No buffer space available" ||
		{ echo "FAIL: the mbuf pool did not fail with ENOBUFS"; fail=1; }
	echo "$out" | grep -qE "TX-packets: [1-9]" && { echo "FAIL: the ports moved packets"; fail=1; }
	exit $fail
fi
[ $rc = 0 ] || { echo "FAIL: testpmd exit status $rc"; fail=1; }
echo "$out" | grep -q "spapr: memory .* cannot" && { echo "FAIL: memory growth was not mapped"; fail=1; }
echo "$out" | grep -q "spapr: mempool .* refused" && { echo "FAIL: a mempool chunk was refused"; fail=1; }
[ "$(echo "$out" | awk '$1 == "dma_faults:" && $2 == 0' | wc -l)" = 2 ] ||
	{ echo "FAIL: dma_faults of the two ports are not 0"; fail=1; }
echo "$out" | grep -qE "TX-packets: [1-9]" || { echo "FAIL: nothing forwarded"; fail=1; }
echo "$out" | grep -q "^Bye" || { echo "FAIL: testpmd did not exit cleanly"; fail=1; }
exit $fail
