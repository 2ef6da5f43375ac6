# SPDX-License-Identifier: BSD-3-Clause
#
# dpdk-plugin-path.sh - sourced by the scripts that start dpdk-testpmd with
# our plugins (-d). DPDK 22.11 refuses a -d path when any directory from the
# file up to / is world-writable ("directory path /tmp is world-writable and
# insecure", eal_common_options.c verify_perms), so a build tree under /tmp
# cannot be loaded as it is. dpdk_plugin_paths copies the plugins into a
# private root-owned directory in that case. It sets DPDK_PLUGIN_PATHS to the
# paths to pass to -d, in the order given (call it directly, not in a
# subshell, so that dpdk_plugin_cleanup knows what to remove):
#
#   dpdk_plugin_paths "$plugin" "$pmd" || exit 1
#   plugin=${DPDK_PLUGIN_PATHS[0]} pmd=${DPDK_PLUGIN_PATHS[1]}
#   trap dpdk_plugin_cleanup EXIT
#
# The copies keep their file names, so a PMD's dependency on
# librte_bus_spapr.so resolves (by soname) to the copy loaded first with -d.

DPDK_PLUGIN_STAGE=
DPDK_PLUGIN_PATHS=()

# True when a directory on the path of $1 (a file) is world-writable.
dpdk_path_insecure() {
	local d
	d=$(cd "$(dirname "$1")" && pwd -P) || return 0
	while :; do
		[ -n "$(find "$d" -maxdepth 0 -perm -0002 2>/dev/null)" ] && return 0
		[ "$d" = / ] && return 1
		d=$(dirname "$d")
	done
}

dpdk_plugin_paths() {
	local f insecure=0
	DPDK_PLUGIN_PATHS=("$@")
	for f in "$@"; do dpdk_path_insecure "$f" && insecure=1; done
	[ "$insecure" = 0 ] && return 0
	DPDK_PLUGIN_STAGE=$(mktemp -d /run/spapr-dpdk-plugins.XXXXXX) || {
		echo "cannot stage the plugins out of a world-writable path (need root for /run)" >&2
		return 1
	}
	chmod 0700 "$DPDK_PLUGIN_STAGE"
	DPDK_PLUGIN_PATHS=()
	for f in "$@"; do
		cp "$f" "$DPDK_PLUGIN_STAGE/" || { dpdk_plugin_cleanup; return 1; }
		DPDK_PLUGIN_PATHS+=("$DPDK_PLUGIN_STAGE/$(basename "$f")")
	done
}

dpdk_plugin_cleanup() {
	[ -n "$DPDK_PLUGIN_STAGE" ] && rm -rf "$DPDK_PLUGIN_STAGE"
	DPDK_PLUGIN_STAGE=
}
