# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
# tests/system/lib/machine-changes.sh - what the project's scripts change on
# the machine outside the source tree, and the command that undoes each
# change. Sourced by quickstart and tests/system/run, which print the report
# on the console (not only in a log) at the end of a run.
#
#   machine_changes_record_packages PKG...  note packages a script installed
#   machine_changes_report                  print every change present now

MC_RECORD=/var/cache/spapr-dpdk/installed-packages.txt
MC_BACKPORTS=/etc/apt/sources.list.d/spapr-dpdk-testbed-backports.sources
MC_SOURCES_DIR=/etc/apt/sources.list.d
MC_CACHES=(/var/cache/spapr-dpdk-testbed /var/cache/spapr-dpdk /var/cache/spapr-dpdk-userland)
MC_MOUNTS=(/dev/hugepages-spapr-test /dev/hugepages-spapr-demo)

machine_changes_record_packages() {
	mkdir -p "${MC_RECORD%/*}"
	printf '%s\n' "$@" >>"$MC_RECORD"
}

# The packages recorded as installed by the scripts and still installed.
mc_recorded_packages() {
	local p
	[[ -r $MC_RECORD ]] || return 0
	for p in $(sort -u "$MC_RECORD"); do
		[[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == "install ok installed" ]] &&
			printf '%s ' "$p"
	done
	return 0
}

mc_mounted() { awk -v d="$1" '$2 == d && $3 == "hugetlbfs" { found = 1 } END { exit !found }' /proc/mounts; }

# One "change / undo" pair per line, for what is present on the machine.
machine_changes_report() {
	local f pkgs dir n
	echo "Changes on this machine made by spapr-dpdk's scripts (each with the command that undoes it):"
	if [[ " $(dpkg --print-foreign-architectures 2>/dev/null | tr '\n' ' ') " == *" ppc64el "* ]]; then
		n=$(dpkg-query -W -f='${Architecture} ${Status}\n' 2>/dev/null | awk '$1 == "ppc64el" && $NF == "installed"' | wc -l)
		echo "  dpkg architecture ppc64el ($n ppc64el packages installed; the testbed installs none, it only downloads)"
		echo "      undo: dpkg --remove-architecture ppc64el && apt-get update"
	fi
	for f in "$MC_BACKPORTS" "$MC_SOURCES_DIR"/spapr-dpdk-src.sources "$MC_SOURCES_DIR"/spapr-dpdk-src.list; do
		[[ -e $f ]] || continue
		case $f in
		"$MC_BACKPORTS") echo "  apt source: bookworm-backports ($f)" ;;
		*) echo "  apt source: deb-src entries ($f)" ;;
		esac
		echo "      undo: rm $f && apt-get update"
	done
	pkgs=$(mc_recorded_packages)
	if [[ -n $pkgs ]]; then
		echo "  packages installed: ${pkgs% }"
		echo "      undo: apt-get purge ${pkgs% } && apt-get autoremove --purge"
	fi
	for dir in "${MC_CACHES[@]}"; do
		[[ -d $dir ]] || continue
		echo "  cache $dir ($(du -sh "$dir" 2>/dev/null | cut -f1))"
		echo "      undo: rm -rf $dir"
	done
	for dir in "${MC_MOUNTS[@]}"; do
		mc_mounted "$dir" || continue
		echo "  hugetlbfs mounted at $dir"
		echo "      undo: umount $dir && rmdir $dir"
	done
	return 0
}
