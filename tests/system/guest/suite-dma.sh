# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=sh
# suite-dma.sh - guest side of suite "dma": the lib/dma
# engine on the real kernel. Sourced by /init (busybox sh) as /suites/dma.sh
# with MACHINE, BOOT, GROUP_ARGS ("--group 0 --group 1") and NICS set.
#
# Runs /bin/test_dma_live --backend vfio $GROUP_ARGS (cases "@@ L", total
# "@@ T") and, when present, /bin/test_vfio device on the first group
# (its lines as "@@ V"). Writes /tmp/results.txt between "@@ BEGIN" and
# "@@ END"; stderr goes to /tmp/stderr.txt (init prints it after).
# Variables are prefixed DMA_ because this file runs inside init's shell.

DMA_OUT=/tmp/results.txt
echo "@@ BEGIN" >"$DMA_OUT"
echo "@@ I suite dma machine=$MACHINE boot=$BOOT groups=$GROUP_ARGS nics=$NICS" >>"$DMA_OUT"

# 2 MiB hugetlb pages for case "hugepages" (16 MiB, 8 pages; 16 asked so a
# fragmented pool still has 8). pseries has them; PowerNV radix guests boot
# with HugeTLB disabled (qemu-power-testbed.md), then the case skips.
DMA_HUGE=none
if [ -w /proc/sys/vm/nr_hugepages ]; then
	echo 16 >/proc/sys/vm/nr_hugepages 2>/dev/null
	DMA_HUGE=$(sed -n 's/^HugePages_Free: *//p' /proc/meminfo)
	[ -n "$DMA_HUGE" ] || DMA_HUGE=none
fi
echo "@@ I hugepages free=$DMA_HUGE $(sed -n 's/^Hugepagesize: *//p' /proc/meminfo)" >>"$DMA_OUT"

if [ -z "$GROUP_ARGS" ]; then
	echo "@@ X no e1000e bound to vfio-pci: no IOMMU group to test" >>"$DMA_OUT"
else
	DMA_T0=$(cut -d' ' -f1 /proc/uptime)
	# shellcheck disable=SC2086 # GROUP_ARGS is a list of options
	/bin/test_dma_live --backend vfio $GROUP_ARGS >>"$DMA_OUT" 2>>/tmp/stderr.txt
	DMA_RC=$?
	DMA_T1=$(cut -d' ' -f1 /proc/uptime)
	echo "@@ I test_dma_live exit=$DMA_RC uptime=$DMA_T0..$DMA_T1" >>"$DMA_OUT"
	# The first group of GROUP_ARGS for the vfio backend's own device test.
	# shellcheck disable=SC2086
	set -- $GROUP_ARGS
	DMA_G=$2
	if [ -x /bin/test_vfio ]; then
		SPAPR_VFIO_TEST_GROUP=$DMA_G /bin/test_vfio device >/tmp/test_vfio.txt 2>&1
		DMA_RC=$?
		sed 's/^/@@ V /' /tmp/test_vfio.txt >>"$DMA_OUT"
		echo "@@ V test_vfio device group=$DMA_G exit=$DMA_RC" >>"$DMA_OUT"
	else
		echo "@@ V test_vfio not staged" >>"$DMA_OUT"
	fi
	set --
fi
echo "@@ END" >>"$DMA_OUT"
