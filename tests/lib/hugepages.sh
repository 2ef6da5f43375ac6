# SPDX-License-Identifier: BSD-3-Clause
#
# hugepages.sh - sourced by the test scripts that start the real DPDK EAL.
# test_hugepages_or_skip MOUNT NEED: as root, make sure NEED free 2 MiB
# hugepages exist (raising nr_hugepages up to 512 at most) and that
# hugetlbfs is mounted at MOUNT; otherwise exit 77 (meson: skipped) with
# the reason. `./quickstart test` unmounts MOUNT once every test has run
# (unless it was mounted before or is in use) and reports the reservation.
test_hugepages_or_skip() {
	local huge=$1 need=$2 have want
	local nr=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
	local free=/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages

	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root to reserve and mount 2 MiB hugepages"; exit 77; }
	[ -w "$nr" ] || { echo "SKIP: no 2 MiB hugepage support"; exit 77; }
	have=$(cat "$free")
	if [ "$have" -lt "$need" ]; then
		want=$(( $(cat "$nr") + need - have ))
		[ "$want" -le 512 ] && echo "$want" > "$nr"
	fi
	[ "$(cat "$free")" -ge "$need" ] || { echo "SKIP: fewer than $need free 2 MiB hugepages"; exit 77; }
	mkdir -p "$huge"
	grep -q " $huge hugetlbfs " /proc/mounts || mount -t hugetlbfs -o pagesize=2M nodev "$huge" ||
		{ echo "SKIP: cannot mount hugetlbfs at $huge"; exit 77; }
}
