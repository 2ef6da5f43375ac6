# SPDX-License-Identifier: BSD-3-Clause
#
# testpmd-env.sh - sourced by the scripts that run stock dpdk-testpmd with
# our plugins. testpmd_env PLUGIN [PMD...]: exit 77 (skip) without
# dpdk-testpmd, root or hugepages; sets huge (the hugetlbfs mount to pass
# with --huge-dir) and DPDK_PLUGIN_PATHS (the -d paths, in the order given),
# and removes the staged copies at exit.
testpmd_env() {
	local lib
	lib=$(dirname "${BASH_SOURCE[0]}")
	command -v dpdk-testpmd >/dev/null || { echo "SKIP: dpdk-testpmd not installed"; exit 77; }
	huge=/dev/hugepages-spapr-test
	. "$lib/hugepages.sh"
	test_hugepages_or_skip "$huge" 48
	# A build tree under a world-writable path (/tmp) cannot be loaded with -d.
	. "$lib/../../apps/lib/dpdk-plugin-path.sh"
	dpdk_plugin_paths "$@" || exit 1
	trap dpdk_plugin_cleanup EXIT
}
