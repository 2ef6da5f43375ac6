# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
# tests/system/lib/sysroot.sh - ppc64el sysroots from Debian's own packages
# (sourced by run), one per DPDK LTS: dpdk-testpmd and the libraries it
# loads for the guest, and the ppc64el DPDK to cross-build the plugin
# against. 22.11 comes from the machine's own Debian 12 (bookworm) archive,
# 24.11 from Debian 13 (trixie), 25.11 from Debian unstable (sid): the same
# mirror, read through a private apt configuration (dpdk_select), so the
# machine's apt sources never name trixie or sid.
#
# Nothing is installed on the host: every package is `apt-get download`ed
# into the cache and unpacked with dpkg-deb -x into the sysroot. Which
# package ships a library is found from the ELF NEEDED entries: Debian's
# naming rule (policy 8.1; librte_* included), its 64-bit time_t rename
# (trixie, sid: a "t64" suffix) and SONAME_PKG for the exceptions. A soname
# none of them finds stops the build with its name.

LIBDIR=usr/lib/powerpc64le-linux-gnu
# The DPDK LTS versions the testbed can run (run --dpdk), each with its
# Debian release and DPDK ABI (sonames librte_*.so.ABI, driver dir pmds-ABI.0).
declare -A DPDK_RELEASE_OF=([22.11]=bookworm [24.11]=trixie [25.11]=sid)
declare -A DPDK_ABI_OF=([22.11]=23 [24.11]=25 [25.11]=26)
# DPDK_VERSION_OF (declared by run): per LTS, once known, the exact Debian
# version of its ppc64el DPDK, or the version built from source; then
# DPDK_ORIGIN_OF says where it came from (lib/suite-testpmd.sh).

# Where the DPDK of LTS $1 came from, for records and tables.
dpdk_origin() { echo "${DPDK_ORIGIN_OF[$1]:-Debian ${DPDK_RELEASE_OF[$1]} ppc64el}"; }

# "22.11.11-0+deb12u1 (Debian bookworm ppc64el), 24.11.6 (DPDK git tag ...)"
dpdk_versions_origins() {
	local v out=()
	for v in "${DPDK_LTS_LIST[@]}"; do
		[[ -n ${DPDK_VERSION_OF[$v]:-} ]] && out+=("${DPDK_VERSION_OF[$v]} ($(dpdk_origin "$v"))")
	done
	local IFS=$'\x1f' s
	s="${out[*]}"
	echo "${s//$'\x1f'/; }"
}

# Select DPDK LTS $1 for the functions below: SYSROOT, DPDK_ABI,
# PMD_SUBDIR, DPDK_RELEASE, APT_OPTS (the release's package index),
# DPDK_VERSION (once sysroot_dpdk_dev has run).
dpdk_select() {
	DPDK_LTS=$1
	DPDK_RELEASE=${DPDK_RELEASE_OF[$1]}
	DPDK_ABI=${DPDK_ABI_OF[$1]}
	PMD_SUBDIR=dpdk/pmds-$DPDK_ABI.0
	# 22.11 keeps the sysroot directory it always had (a cache made before
	# the other versions came stays valid).
	SYSROOT=$CACHE/sysroot
	[[ $1 == 22.11 ]] || SYSROOT=$CACHE/sysroot-$1
	DPDK_VERSION=${DPDK_VERSION_OF[$1]:-}
	APT_OPTS=()
	[[ $DPDK_RELEASE == "$DEBIAN_RELEASE" ]] || dpdk_apt_select "$DPDK_RELEASE"
}

# A private apt configuration for Debian release $1 (ppc64el only) in
# $CACHE/apt-$1: the mirror of the machine's own sources, the release's
# archive keyring from its userland (config/userland/mkuserland; it carries
# the keys of that release), its own lists and an empty dpkg status. Its
# lists are updated once per run, as the machine's are. Sets APT_OPTS.
declare -A DPDK_APT_UPDATED=()
dpdk_apt_select() {
	local rel=$1 dir=$CACHE/apt-$1 mirror keyring
	APT_OPTS=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$dir/sources.list.d"
		-o "Dir::Etc::Preferences=/dev/null" -o "Dir::Etc::PreferencesParts=$dir/preferences.d"
		-o "Dir::State=$dir/state" -o "Dir::State::Lists=$dir/lists"
		-o "Dir::State::status=$dir/state/status" -o "Dir::Cache=$dir/cache"
		-o "APT::Architecture=ppc64el" -o "APT::Architectures::=ppc64el"
		# The mirror may serve a dated copy whose sid Release has passed its
		# Valid-Until; the signatures are still checked.
		-o "Acquire::Check-Valid-Until=false")
	[[ -n ${DPDK_APT_UPDATED[$rel]:-} ]] && return 0
	mirror=$(debian_mirror) || skip "no Debian ${DEBIAN_RELEASE} entry in the apt sources (the mirror for $rel)"
	mirror=${mirror%/}
	keyring=$(userland_root "$rel")/usr/share/keyrings/debian-archive-keyring.gpg
	[[ -r $keyring ]] || skip "no $rel archive keyring ($keyring)"
	mkdir -p "$dir"/{sources.list.d,preferences.d,state,lists/partial,cache/archives/partial}
	: >"$dir/state/status"
	# The release and its point-release updates; not its security suite:
	# the mirror serves no ppc64el .deb from debian-security (404 for every
	# one, December 2026), while its index lists them, so apt would take
	# versions it cannot download. The guest is a test machine.
	printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: %s\n' \
		"$mirror" "$( [[ $rel == sid ]] && echo sid || echo "$rel $rel-updates")" "$keyring" \
		>"$dir/sources.list.d/debian.sources"
	log "apt-get update ($rel ppc64el, private index in $dir)"
	apt-get "${APT_OPTS[@]}" update -qq >"$LOGDIR/apt-update-$rel.log" 2>&1 ||
		log "warning: apt-get update ($rel) reported errors: $(grep -m1 '^E:' "$LOGDIR/apt-update-$rel.log")"
	DPDK_APT_UPDATED[$rel]=1
}

# The Debian userland (amd64 chroot) of release $1 (config/userland): the
# cross compiler for 24.11 and 25.11 runs there. Made by mkuserland if
# missing (it prints the tree's path last).
userland_root() {
	local root
	root=$("$TOPDIR/config/userland/mkuserland" --print-dir "$1" 2>/dev/null) && { echo "$root"; return 0; }
	log "making the Debian $1 userland (config/userland/mkuserland $1; minutes)"
	root=$("$TOPDIR/config/userland/mkuserland" ${DPDK_GIT:+--sdk-git "$DPDK_GIT"} "$1" \
		2>"$LOGDIR/mkuserland-$1.log" | tail -n 1) ||
		skip "no Debian $1 userland: config/userland/mkuserland $1 failed: $(tail -n 2 "$LOGDIR/mkuserland-$1.log" | tr '\n' ' ')"
	echo "$root"
}

# The release's own ppc64el cross compiler and cross glibc in its userland
# $1, installed there once (Debian packages of that release).
userland_cross_compiler() {
	local root pkgs=(gcc-powerpc64le-linux-gnu libc6-dev-ppc64el-cross)
	root=$(userland_root "$1")
	[[ -x $root/usr/bin/powerpc64le-linux-gnu-gcc ]] && return 0
	log "installing ${pkgs[*]} in the $1 userland $root (undo: chroot $root apt-get purge ${pkgs[*]})"
	local sim logf=$LOGDIR/userland-cross-$1.log
	chroot "$root" apt-get -qq update >"$logf" 2>&1 || true
	# Other tests use the tree's DPDK and compiler: nothing of the tree
	# may be upgraded along (as config/userland/mkuserland's extras).
	sim=$(chroot "$root" apt-get -s install -y --no-install-recommends "${pkgs[@]}" 2>&1) ||
		skip "cannot install ${pkgs[*]} in the $1 userland: $(tail -n 1 <<<"$sim")"
	if grep -qE '^Inst [^ ]+ \[' <<<"$sim"; then
		skip "installing ${pkgs[*]} in the $1 userland would upgrade its $(grep -E '^Inst [^ ]+ \[' <<<"$sim" | cut -d' ' -f2 | paste -sd' ' -)"
	fi
	chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "${pkgs[@]}" >>"$logf" 2>&1 ||
		skip "cannot install ${pkgs[*]} in the $1 userland: $(tail -n 2 "$logf" | tr '\n' ' ')"
}

# Shared libraries whose Debian package does not follow the naming rule
# (or that are not in a package of their own), as named in bookworm.
declare -A SONAME_PKG=(
	[libc.so.6]=libc6 [libm.so.6]=libc6 [libpthread.so.0]=libc6 [libdl.so.2]=libc6
	[librt.so.1]=libc6 [ld64.so.2]=libc6 [libresolv.so.2]=libc6
	[libgcc_s.so.1]=libgcc-s1 [libz.so.1]=zlib1g [liblz4.so.1]=liblz4-1
	[libmlx5.so.1]=ibverbs-providers [libmlx4.so.1]=ibverbs-providers
	[libefa.so.1]=ibverbs-providers [libmana.so.1]=ibverbs-providers
	[libcrypto.so.3]=libssl3 [libssl.so.3]=libssl3
)

# Debian's package name for a soname (policy 8.1): libfdt.so.1 -> libfdt1,
# libnl-3.so.200 -> libnl-3-200, librte_net_e1000.so.23 -> librte-net-e1000-23,
# librte_eal.so.23 -> librte-eal23, libpcap.so.0.8 -> libpcap0.8
soname_policy_package() {
	local base=${1%.so.*} abi=${1##*.so.}
	base=${base//_/-}
	[[ $base =~ [0-9]$ ]] && base+=-
	echo "${base,,}$abi"
}

soname_package() { echo "${SONAME_PKG[$1]:-$(soname_policy_package "$1")}"; }

# The package of the selected release that is package $1: $1 itself, or
# its 64-bit time_t rename ${1}t64 (trixie and later); fails if neither.
release_package() {
	apt_candidates "$1:ppc64el" "${1}t64:ppc64el" | awk -v p="$1" '
		{ c[$1] = 1 } END { if (p in c) print p; else if ((p "t64") in c) print p "t64"; else exit 1 }'
}

# Unpack the candidate versions of the ppc64el packages $@ into the
# sysroot; the missing .debs are fetched with one `apt-get download` (one
# call for many is much faster). A package whose candidate moved since it
# was unpacked is unpacked again over the old files. Where the mirror does
# not have a candidate's .deb (sysroot_download), the newest version it has.
sysroot_add_packages() {
	local pkg ver deb want=() todo=()
	declare -A cand=()
	mkdir -p "$SYSROOT"
	while read -r pkg ver; do cand[$pkg]=$ver; done < <(apt_candidates "${@/%/:ppc64el}")
	for pkg in "$@"; do
		ver=${cand[$pkg]:-}
		[[ -n $ver ]] || skip "apt has no candidate for $pkg:ppc64el (is the ppc64el architecture added, and apt-get update done?)"
		sysroot_unavailable "$pkg" "$ver" && ver=$(sysroot_other_version "$pkg")
		cand[$pkg]=$ver
		[[ -n $ver ]] || continue
		if deb=$(cached_deb "$pkg" "$ver"); then
			[[ $(cat "$SYSROOT/.pkg-$pkg" 2>/dev/null) == "${deb##*/}" ]] && continue
		else
			want+=("$pkg")
		fi
		todo+=("$pkg")
	done
	((${#want[@]} == 0)) || sysroot_download "${want[@]}"
	for pkg in "${todo[@]}"; do
		[[ -n ${cand[$pkg]} ]] || continue
		deb=$(cached_deb "$pkg" "${cand[$pkg]}") ||
			skip "apt-get download $pkg:ppc64el=${cand[$pkg]} left no .deb in $CACHE/debs"
		dpkg-deb -x "$deb" "$SYSROOT"
		echo "${deb##*/}" >"$SYSROOT/.pkg-$pkg"
	done
}

# The mirror's copy of trixie lacks some .debs its index lists (404: e.g.
# libssl-dev and zlib1g-dev of the point release, December 2026), and
# apt-get download fetches all or nothing. Those package versions are
# remembered here, and the newest other version the index has is taken.
SYSROOT_UNAVAILABLE=$CACHE/debs/.unavailable
sysroot_unavailable() { grep -qxF "$1 $2" "$SYSROOT_UNAVAILABLE" 2>/dev/null; }

# The newest version of package $1 the index has and the mirror is not
# known to lack; nothing for a package that may be left out (the -dev
# packages behind libdpdk.pc's Requires.private, which pkg-config does not
# need for the plugin's build), else the run is skipped.
sysroot_other_version() {
	local v
	for v in $(apt-cache "${APT_OPTS[@]}" madison "$1:ppc64el" 2>/dev/null | awk -F'|' '{ gsub(/ /, "", $2); print $2 }' | sort -Vru); do
		sysroot_unavailable "$1" "$v" || { echo "$v"; return 0; }
	done
	if [[ " ${DPDK_PC_PRIVATE_PKGS[*]} " == *" $1 "* ]]; then
		log "sysroot: no version of $1:ppc64el can be downloaded from the mirror; left out (only libdpdk.pc's Requires.private names it)"
		return 0
	fi
	skip "the mirror has no .deb of any version of $1:ppc64el in $DPDK_RELEASE (see $LOGDIR/download.log)"
}

# apt-get download of the packages $@ at cand[] (the caller's versions);
# a version the mirror lacks is replaced as above, and the rest tried again.
sysroot_download() {
	local pkgs=("$@") pkg f specs out=$LOGDIR/download-last.log
	mkdir -p "$CACHE/debs"
	while ((${#pkgs[@]})); do
		specs=()
		for pkg in "${pkgs[@]}"; do specs+=("$pkg:ppc64el=${cand[$pkg]}"); done
		log "apt-get download ${#specs[@]} package(s) ($DPDK_RELEASE): $(echo "${specs[*]}" | cut -c1-100)"
		(cd "$CACHE/debs" && apt-get "${APT_OPTS[@]}" download -qq "${specs[@]}") >"$out" 2>&1 && break
		cat "$out" >>"$LOGDIR/download.log"
		local missing=0 left=()
		for f in $(sed -n 's#^E: Failed to fetch .*/\([^/ ]*\)_\([^_ ]*\)_[a-z0-9]*\.deb .*404.*#\1 \2#p' "$out" | tr ' ' '='); do
			pkg=${f%%=*}
			# apt's file names write ~ + : as %7e %2b %3a.
			printf '%s %s\n' "$pkg" "$(sed 's/%7[eE]/~/g; s/%2[bB]/+/g; s/%3[aA]/:/g' <<<"${f#*=}")" \
				>>"$SYSROOT_UNAVAILABLE"
			missing=1
		done
		((missing)) || skip "apt-get download failed: $(tail -n 2 "$out" | tr '\n' ' ')"
		for pkg in "${pkgs[@]}"; do
			if sysroot_unavailable "$pkg" "${cand[$pkg]}"; then
				cand[$pkg]=$(sysroot_other_version "$pkg")
				[[ -n ${cand[$pkg]} ]] || continue
				log "sysroot: $pkg:ppc64el: the mirror lacks the candidate's .deb; taking ${cand[$pkg]}"
			fi
			left+=("$pkg")
		done
		pkgs=("${left[@]}")
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
				pkg=$(release_package "$(soname_package "$so")") ||
					fail "no ppc64el package in $DPDK_RELEASE ships $so (needed by ${f##*/}; tried $(soname_package "$so") and its t64 rename); add it to SONAME_PKG in tests/system/lib/sysroot.sh"
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
DPDK_PC_PRIVATE_PKGS=(libibverbs-dev libnl-3-dev libnl-route-3-dev libssl-dev libxdp-dev
	libbpf-dev zlib1g-dev libpcap0.8-dev libelf-dev libjansson-dev libzstd-dev libdbus-1-dev
	libsystemd-dev)
DPDK_PC_DEV_PKGS=(libbsd-dev libmd-dev "${DPDK_PC_PRIVATE_PKGS[@]}" libbsd0 libmd0)

# The ppc64el DPDK (libdpdk-dev and its librte-* dependencies) of the
# candidate version, which the sysroot is built from; a sysroot of another
# DPDK version is started afresh. Sets DPDK_VERSION.
sysroot_dpdk_dev() {
	local rte
	DPDK_VERSION=$(apt_candidate libdpdk-dev:ppc64el)
	[[ -n $DPDK_VERSION ]] || skip "libdpdk-dev:ppc64el not known to apt in $DPDK_RELEASE (is the ppc64el architecture added?)"
	# sid moves on to the next LTS one day: then 25.11 has to come from
	# elsewhere, and the run says so rather than testing another version.
	[[ $DPDK_VERSION == "$DPDK_LTS".* ]] ||
		skip "Debian $DPDK_RELEASE's ppc64el DPDK is $DPDK_VERSION, not $DPDK_LTS"
	DPDK_VERSION_OF[$DPDK_LTS]=$DPDK_VERSION
	if [[ -e $SYSROOT && $(cat "$SYSROOT/.dpdk-version" 2>/dev/null) != "$DPDK_VERSION" ]]; then
		log "sysroot: made for DPDK $(cat "$SYSROOT/.dpdk-version" 2>/dev/null || echo '(unknown)'), the candidate is $DPDK_VERSION: building it afresh"
		rm -rf "$SYSROOT"
	fi
	mkdir -p "$SYSROOT"
	echo "$DPDK_VERSION" >"$SYSROOT/.dpdk-version"
	# The Depends of exactly that version (awk reads all of apt-cache's
	# output; the record can appear once per suite that carries it).
	rte=$(apt-cache "${APT_OPTS[@]}" show "libdpdk-dev:ppc64el=$DPDK_VERSION" |
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
