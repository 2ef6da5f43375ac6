# SPDX-License-Identifier: BSD-3-Clause
#
# testpmd-env.sh - sourced by the scripts that run stock DPDK programs with
# our plugins.
# dpdk_app_env PROGRAM PLUGIN [PMD...]: exit 77 (skip) without PROGRAM
# (a command or a path), root or hugepages; sets huge (the hugetlbfs mount
# to pass with --huge-dir) and DPDK_PLUGIN_PATHS (the -d paths, in the
# order given), and removes the staged copies at exit.
# testpmd_env PLUGIN [PMD...]: the same for dpdk-testpmd.
dpdk_app_env() {
	local lib app=$1
	shift
	lib=$(dirname "${BASH_SOURCE[0]}")
	command -v "$app" >/dev/null || { echo "SKIP: $app not installed"; exit 77; }
	huge=/dev/hugepages-spapr-test
	. "$lib/hugepages.sh"
	test_hugepages_or_skip "$huge" 48
	# A build tree under a world-writable path (/tmp) cannot be loaded with -d.
	. "$lib/../../apps/lib/dpdk-plugin-path.sh"
	dpdk_plugin_paths "$@" || exit 1
	trap dpdk_plugin_cleanup EXIT
}

testpmd_env() {
	dpdk_app_env dpdk-testpmd "$@"
}
