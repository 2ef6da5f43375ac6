# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
# tests/system/lib/build.sh - builds for the POWER testbed (sourced by run).
#
#   build_guest_runner  cross-builds tests/system's guest program for ppc64le
#                       from the project's sources (meson + the cross file)
#   build_host_runner   builds the model side (spapr-system-diff) natively
#   build_initramfs     busybox + vfio modules + the guest program + init

WORK=$SYSDIR/work
CROSS_FILE=$TOPDIR/config/cross/ppc64le-linux-gnu.ini
GUEST_MODULES=(vfio vfio_iommu_spapr_tce vfio_pci_core vfio_pci)
# Modules a suite needs beyond these (its lib/suite-*.sh adds them), loaded
# after them in every initramfs of the run.
SUITE_MODULES=()

# meson setup once per build dir, then ninja on one target.
# $1 build dir, $2 target, $3... extra meson setup arguments.
# MESON_RUN: a command that meson and ninja run under (the in-userland
# of another Debian release; empty: this machine).
MESON_RUN=()
meson_build_target() {
	local dir=$1 target=$2 logf
	shift 2
	logf=$LOGDIR/$(basename "$dir")-build.log
	if [[ ! -e $dir/build.ninja ]]; then
		rm -rf "$dir"
		"${MESON_RUN[@]}" meson setup "$@" "$dir" "$TOPDIR" >"$logf" 2>&1 ||
			fail "meson setup $(basename "$dir") failed (see $logf): $(tail -n 3 "$logf" | tr '\n' ' ')"
	fi
	"${MESON_RUN[@]}" ninja -C "$dir" -j2 "$target" >"$logf.ninja" 2>&1 ||
		fail "building $target in $(basename "$dir") failed (see $logf.ninja): $(grep -m3 -E 'error|ERROR' "$logf.ninja" | tr '\n' ' ')"
}

build_guest_runner() {
	if [[ -n ${SPAPR_TESTBED_GUEST_BIN:-} ]]; then
		# Development: a guest program built some other way.
		GUEST_BIN=$SPAPR_TESTBED_GUEST_BIN
		GUEST_BUILD_NOTE="prebuilt $GUEST_BIN"
		log "using prebuilt guest program $GUEST_BIN"
		return
	fi
	GUEST_BIN=$WORK/build-ppc64le/tests/system/spapr-system-guest
	GUEST_BUILD_NOTE="meson cross build"
	if ! (meson_build_target "$WORK/build-ppc64le" tests/system/spapr-system-guest \
		--cross-file "$CROSS_FILE" -Dplugin=disabled -Dtests=true \
		-Dbuildtype=debugoptimized) 2>"$LOGDIR/build-ppc64le.err"; then
		# The meson cross set-up configures the whole project, so a part
		# that cannot be configured for ppc64el (e.g. a library whose
		# ppc64el -dev package is missing) stops it. The guest program
		# needs only its own sources and lib/dma/vfio: build those
		# directly, with the project's flags, and say so.
		log "meson cross build failed: $(tail -n 1 "$LOGDIR/build-ppc64le.err")"
		log "building the guest program directly with $CROSS_CC instead"
		direct_guest_build
	fi
	is_static_ppc64le "$GUEST_BIN" ||
		fail "$GUEST_BIN is not a static ppc64le binary: $(file -b "$GUEST_BIN")"
}

CROSS_CC=powerpc64le-linux-gnu-gcc

# file(1) says ELF 64-bit PowerPC, statically linked. (A test on the text,
# not `file | grep -q`: grep -q stops reading at the first match, and under
# pipefail the writer's SIGPIPE would fail the test.)
is_static_ppc64le() {
	local what
	what=$(file -b "$1" 2>/dev/null) || return 1
	[[ $what == *PowerPC*"statically linked"* ]]
}

# The guest program from its sources (tests/system/meson.build lists the
# same files), with the project's warning flags, linked statically.
direct_guest_build() {
	local out=$WORK/direct-ppc64le/spapr-system-guest
	mkdir -p "${out%/*}"
	"$CROSS_CC" -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -static -pthread \
		-I"$TOPDIR/lib/dma/backend" -I"$TOPDIR/lib/dma/vfio" -I"$SYSDIR/runner" \
		"$SYSDIR"/runner/sc_{ops,cases,random,guest}.c \
		"$TOPDIR/lib/dma/vfio/spapr_vfio.c" -o "$out" \
		>"$LOGDIR/direct-ppc64le-build.log" 2>&1 ||
		fail "direct build of the guest program failed: $(grep -m3 error "$LOGDIR/direct-ppc64le-build.log" | tr '\n' ' ')"
	GUEST_BIN=$out
	# shellcheck disable=SC2034 # read by write_summary (lib/boot.sh)
	GUEST_BUILD_NOTE="direct (meson cross set-up failed)"
}

# The model side may not build while the model is being written; the guest
# side does not need it, so this only records why.
build_host_runner() {
	DIFF_BIN=$WORK/build-host/tests/system/spapr-system-diff
	DIFF_ERROR=
	if [[ -n ${SPAPR_TESTBED_DIFF_BIN:-} ]]; then
		DIFF_BIN=$SPAPR_TESTBED_DIFF_BIN
		return
	fi
	if ! (meson_build_target "$WORK/build-host" tests/system/spapr-system-diff \
		-Dplugin=disabled -Dtests=true) 2>"$LOGDIR/build-host.err"; then
		DIFF_ERROR=$(tail -n 1 "$LOGDIR/build-host.err")
		# shellcheck disable=SC2034 # read by diff_machine (lib/boot.sh)
		DIFF_BIN=
		log "model side not built: $DIFF_ERROR"
	fi
}

# Module names (underscores) -> .ko.xz paths, dependencies first, from each
# module's own "depends=" (the package ships no modules.dep).
module_closure() {
	local moddir=$1 name file dep
	shift
	for name in "$@"; do
		[[ " ${MOD_DONE[*]-} " == *" $name "* ]] && continue
		file=$(find "$moddir/kernel" \( -name "${name}.ko*" -o -name "${name//_/-}.ko*" \) -print -quit)
		[[ -n $file ]] || fail "module $name not in the kernel package"
		for dep in $(xz -dcf "$file" | tr '\0' '\n' | sed -n 's/^depends=//p' | tr ',' ' '); do
			module_closure "$moddir" "${dep//-/_}"
		done
		MOD_DONE+=("$name")
		MOD_FILES+=("$file")
	done
}

# The initramfs $1: kernel flavour (4k, 64k) and, for the DPDK suites, the
# DPDK LTS (64k@24.11): busybox, that kernel's vfio modules, init and every
# selected suite of its kind (suite_<name>_stage ROOT [DPDK] adds its files).
build_initramfs() {
	local key=$1 flav=${1%@*} dpdk='' kver root f s moddir
	[[ $key == *@* ]] && dpdk=${key#*@}
	kver=${KVER_OF[$flav]} root=$WORK/initramfs-$key
	moddir=$CACHE/kernel/lib/modules/$kver
	[[ $flav == 64k ]] && moddir=$CACHE/kernel-64k/lib/modules/$kver
	INITRD_OF[$key]=$WORK/initrd-$kver${dpdk:+-dpdk$dpdk}.cpio
	rm -rf "$root"
	mkdir -p "$root"/{bin,dev,proc,sys,tmp,lib/modules,etc,suites}
	cp "$CACHE/busybox/bin/busybox" "$root/bin/busybox"
	cp "$SYSDIR/guest/init" "$root/init"
	chmod 755 "$root/init" "$root/bin/"*
	local staged=()
	for s in "${SUITES[@]}"; do
		if dpdk_suite "$s"; then [[ -n $dpdk ]] || continue; else [[ -z $dpdk ]] || continue; fi
		cp "$SYSDIR/guest/suite-$s.sh" "$root/suites/$s.sh"
		"suite_${s}_stage" "$root" ${dpdk:+"$dpdk"}
		staged+=("$s")
	done
	MOD_DONE=()
	MOD_FILES=()
	module_closure "$moddir" "${GUEST_MODULES[@]}" "${SUITE_MODULES[@]}"
	: >"$root/lib/modules/order"
	for f in "${MOD_FILES[@]}"; do
		local base
		base=$(basename "$f")
		base=${base%.xz}
		base=${base%.zst}
		xz -dcf "$f" >"$root/lib/modules/$base"
		echo "$base" >>"$root/lib/modules/order"
	done
	echo "$kver" >"$root/etc/kernel-release"
	(cd "$root" && find . -print0 | sort -z |
		cpio --null -o -H newc --owner 0:0 --quiet) >"${INITRD_OF[$key]}"
	log "initramfs $key $(du -h "${INITRD_OF[$key]}" | cut -f1): busybox, $(tr '\n' ' ' <"$root/lib/modules/order")suites ${staged[*]}${dpdk:+ with DPDK ${DPDK_VERSION_OF[$dpdk]:-$dpdk}}"
}

declare -A INITRD_OF=()

# Suite "diff": the guest program (built by build_guest_runner).
suite_diff_stage() { cp "$GUEST_BIN" "$1/bin/spapr-system-guest"; }
