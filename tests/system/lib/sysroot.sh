# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
# tests/system/lib/sysroot.sh - a ppc64el sysroot from Debian's own packages
# (sourced by run): DPDK 22.11 for the guest (dpdk-testpmd and the libraries
# it loads) and for cross-building the plugin against Debian's ppc64el DPDK.
#
# Nothing is installed on the host: every package is `apt-get download`ed
# into the cache and unpacked with dpkg-deb -x into $CACHE/sysroot. Which
# package ships a library is found from the ELF NEEDED entries: librte_*
# sonames follow Debian's naming rule, the others are listed in SONAME_PKG.
# A soname no rule or list knows stops the build with its name.

SYSROOT=$CACHE/sysroot
LIBDIR=usr/lib/powerpc64le-linux-gnu
PMD_SUBDIR=dpdk/pmds-23.0

# Shared libraries outside DPDK and their Debian bookworm packages.
declare -A SONAME_PKG=(
	[libc.so.6]=libc6 [libm.so.6]=libc6 [libpthread.so.0]=libc6 [libdl.so.2]=libc6
	[librt.so.1]=libc6 [ld64.so.2]=libc6 [libresolv.so.2]=libc6
	[libgcc_s.so.1]=libgcc-s1 [libatomic.so.1]=libatomic1
	[libnuma.so.1]=libnuma1 [libfdt.so.1]=libfdt1 [libjansson.so.4]=libjansson4
	[libbsd.so.0]=libbsd0 [libmd.so.0]=libmd0 [libelf.so.1]=libelf1
	[libz.so.1]=zlib1g [libzstd.so.1]=libzstd1 [liblzma.so.5]=liblzma5
	[libpcap.so.0.8]=libpcap0.8 [libdbus-1.so.3]=libdbus-1-3
	[libsystemd.so.0]=libsystemd0 [libcap.so.2]=libcap2 [liblz4.so.1]=liblz4-1
	[libgcrypt.so.20]=libgcrypt20 [libgpg-error.so.0]=libgpg-error0
	[libibverbs.so.1]=libibverbs1 [libmlx5.so.1]=ibverbs-providers
	[libmlx4.so.1]=ibverbs-providers [libnl-3.so.200]=libnl-3-200
	[libnl-route-3.so.200]=libnl-route-3-200 [libcrypto.so.3]=libssl3
	[libssl.so.3]=libssl3 [libbpf.so.1]=libbpf1 [libxdp.so.1]=libxdp1
	[libarchive.so.13]=libarchive13 [libisal.so.2]=libisal2
	[libhugetlbfs.so.0]=libhugetlbfs0
)

# librte_net_e1000.so.23 -> librte-net-e1000-23; librte_eal.so.23 -> librte-eal23
rte_package() {
	local base=${1%.so.*} abi=${1##*.so.}
	base=${base//_/-}
	[[ $base =~ [0-9]$ ]] && base+=-
	echo "$base$abi"
}

soname_package() {
	case $1 in
	librte_*.so.*) rte_package "$1" ;;
	*) echo "${SONAME_PKG[$1]:-}" ;;
	esac
}

# Unpack the candidate versions of the ppc64el packages $@ into the
# sysroot; the missing .debs are fetched with one `apt-get download` (one
# call for many is much faster). A package whose candidate moved since it
# was unpacked is unpacked again over the old files.
sysroot_add_packages() {
	local pkg ver deb want=() todo=()
	declare -A cand=()
	mkdir -p "$SYSROOT"
	while read -r pkg ver; do cand[$pkg]=$ver; done < <(apt_candidates "${@/%/:ppc64el}")
	for pkg in "$@"; do
		ver=${cand[$pkg]:-}
		[[ -n $ver ]] || skip "apt has no candidate for $pkg:ppc64el (is the ppc64el architecture added, and apt-get update done?)"
		if deb=$(cached_deb "$pkg" "$ver"); then
			[[ $(cat "$SYSROOT/.pkg-$pkg" 2>/dev/null) == "${deb##*/}" ]] && continue
		else
			want+=("$pkg:ppc64el=$ver")
		fi
		todo+=("$pkg")
	done
	((${#want[@]} == 0)) || download_debs "${want[@]}"
	for pkg in "${todo[@]}"; do
		deb=$(cached_deb "$pkg" "${cand[$pkg]}") ||
			skip "apt-get download $pkg:ppc64el=${cand[$pkg]} left no .deb in $CACHE/debs"
		dpkg-deb -x "$deb" "$SYSROOT"
		echo "${deb##*/}" >"$SYSROOT/.pkg-$pkg"
	done
}

# The file of soname $1 in the sysroot (lib or usr/lib multiarch dirs).
sysroot_lib() {
	local d
	for d in "$SYSROOT/$LIBDIR" "$SYSROOT/lib/powerpc64le-linux-gnu" "$SYSROOT/lib64"; do
		[[ -e $d/$1 ]] && { echo "$d/$1"; return 0; }
	done
	return 1
}

elf_needed() {
	powerpc64le-linux-gnu-readelf -d "$1" 2>/dev/null |
		sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'
}

# Make every NEEDED soname of the ELF files $@ (and of what they pull in)
# present in the sysroot. Sets SYSROOT_SONAMES to the closure.
sysroot_resolve() {
	local queue=("$@") f so pkg file
	declare -gA SYSROOT_SEEN=()
	SYSROOT_SONAMES=()
	while ((${#queue[@]})); do
		f=${queue[0]}
		queue=("${queue[@]:1}")
		for so in $(elf_needed "$f"); do
			[[ -n ${SYSROOT_SEEN[$so]:-} ]] && continue
			SYSROOT_SEEN[$so]=1
			if ! file=$(sysroot_lib "$so"); then
				pkg=$(soname_package "$so")
				[[ -n $pkg ]] || fail "no Debian package known for $so (needed by ${f##*/}); add it to SONAME_PKG in tests/system/lib/sysroot.sh"
				sysroot_add_packages "$pkg"
				file=$(sysroot_lib "$so") || fail "$pkg:ppc64el has no $so"
			fi
			SYSROOT_SONAMES+=("$so")
			queue+=("$(readlink -f "$file")")
		done
	done
}

# What `pkg-config libdpdk` needs for the target: libdpdk-dev, every
# librte-* package it depends on (libdpdk-libs.pc links them all, with
# --as-needed) and the -dev packages behind the .pc files it requires.
# libdpdk.pc links -lbsd (a linker script naming libbsd.so.0.* and -lmd):
# the -dev packages only carry the unversioned links, so their runtime
# packages come too (a warm cache hid this; a cold one found it).
DPDK_PC_DEV_PKGS=(libbsd-dev libmd-dev libibverbs-dev libnl-3-dev libnl-route-3-dev
	libssl-dev libxdp-dev libbpf-dev zlib1g-dev libpcap0.8-dev libelf-dev
	libjansson-dev libzstd-dev libdbus-1-dev libbsd0 libmd0)

# The ppc64el DPDK (libdpdk-dev and its librte-* dependencies) of the
# candidate version, which the sysroot is built from; a sysroot of another
# DPDK version is started afresh. Sets DPDK_VERSION.
sysroot_dpdk_dev() {
	local rte
	DPDK_VERSION=$(apt_candidate libdpdk-dev:ppc64el)
	[[ -n $DPDK_VERSION ]] || skip "libdpdk-dev:ppc64el not known to apt (is the ppc64el architecture added?)"
	if [[ -e $SYSROOT && $(cat "$SYSROOT/.dpdk-version" 2>/dev/null) != "$DPDK_VERSION" ]]; then
		log "sysroot: made for DPDK $(cat "$SYSROOT/.dpdk-version" 2>/dev/null || echo '(unknown)'), the candidate is $DPDK_VERSION: building it afresh"
		rm -rf "$SYSROOT"
	fi
	mkdir -p "$SYSROOT"
	echo "$DPDK_VERSION" >"$SYSROOT/.dpdk-version"
	# The Depends of exactly that version (awk reads all of apt-cache's
	# output; the record can appear once per suite that carries it).
	rte=$(apt-cache show "libdpdk-dev:ppc64el=$DPDK_VERSION" |
		awk '/^Depends: / && !done { sub(/^Depends: /, ""); print; done = 1 }' |
		tr ',' '\n' | sed 's/(.*//; s/ //g' | awk '/^librte-/ && !/^librte-meta-/')
	[[ -n $rte ]] || skip "apt-cache show libdpdk-dev:ppc64el=$DPDK_VERSION names no librte-* package"
	# shellcheck disable=SC2086 # one package name per word
	sysroot_add_packages libdpdk-dev $rte "${DPDK_PC_DEV_PKGS[@]}"
	sysroot_fix_ld_scripts
}

# Linker scripts (e.g. libbsd.so: GROUP(/usr/lib/.../libbsd.so.0.11.7 ...))
# name absolute paths, which ld resolves on the build machine: point them
# into the sysroot.
sysroot_fix_ld_scripts() {
	local f
	for f in "$SYSROOT/$LIBDIR"/*.so; do
		[[ -f $f && ! -L $f ]] || continue
		grep -q '^GROUP' "$f" 2>/dev/null || continue
		grep -q "$SYSROOT" "$f" && continue
		sed -i -E "s#([( ])/(usr/)?lib/#\1$SYSROOT/\2lib/#g" "$f"
	done
}

# pkg-config for the target, inside the sysroot.
sysroot_pkg_config() {
	PKG_CONFIG_SYSROOT_DIR=$SYSROOT \
	PKG_CONFIG_LIBDIR=$SYSROOT/$LIBDIR/pkgconfig:$SYSROOT/usr/share/pkgconfig \
		pkg-config "$@"
}
