# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
# tests/system/lib/host.sh - host preparation for the POWER testbed.
#
# Sourced by tests/system/run. Everything here comes from Debian's archive
# through apt, using the mirror the machine is already configured with
# (/etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list).
# Facts behind the package choices: doc/testbed.md ("Design").

# Host packages (amd64) and guest packages (ppc64el).
HOST_PKGS=(qemu-system-ppc gcc-powerpc64le-linux-gnu libc6-dev-ppc64el-cross
	   cpio xz-utils meson ninja-build)
BACKPORTS_SOURCES=$MC_BACKPORTS	# lib/machine-changes.sh

# The first "URIs:" of the deb822 entry that carries the plain release suite
# (bookworm); fall back to a one-line sources.list entry.
debian_mirror() {
	local f=/etc/apt/sources.list.d/debian.sources uri
	if [[ -r $f ]]; then
		uri=$(awk -v rel="$DEBIAN_RELEASE" '
			/^URIs:/ { u = $2 }
			/^Suites:/ { for (i = 2; i <= NF; i++) if ($i == rel) { print u; exit } }
			/^$/ { u = "" }' "$f")
	fi
	if [[ -z ${uri:-} && -r /etc/apt/sources.list ]]; then
		uri=$(awk -v rel="$DEBIAN_RELEASE" '$1 == "deb" && $3 == rel { print $2; exit }' \
			/etc/apt/sources.list)
	fi
	[[ -n ${uri:-} ]] || return 1
	echo "$uri"
}

apt_has_backports() {
	grep -rqsE "(^Suites:.*|^deb .*)\b${DEBIAN_RELEASE}-backports\b" \
		/etc/apt/sources.list /etc/apt/sources.list.d/
}

# apt-get update (a partial failure, e.g. one index of a mirror mid-sync,
# is not fatal: what matters is whether the packages can be found and
# installed, which is checked after it and reported as a skip if not).
apt_update() {
	log "apt-get update"
	if ! apt-get update -qq >"$LOGDIR/apt-update.log" 2>&1; then
		log "warning: apt-get update reported errors: $(grep -m1 '^E:' "$LOGDIR/apt-update.log")"
	fi
}

# bookworm-backports, for the 6.12 kernel where the machine's own suites do
# not carry one (bookworm-security carries linux 6.12 since 6.12.107; the
# first 6.12 builds for bookworm were in backports only).
add_backports() {
	local mirror
	mirror=$(debian_mirror) || skip "no Debian ${DEBIAN_RELEASE} entry in the apt sources"
	log "adding ${DEBIAN_RELEASE}-backports from $mirror ($BACKPORTS_SOURCES): no linux-image-${KERNEL_SERIES} for ppc64el in the machine's apt sources"
	cat >"$BACKPORTS_SOURCES" <<-EOF
	# Added by spapr-dpdk tests/system/run: the ppc64el guest kernel ${KERNEL_SERIES}.
	Types: deb
	URIs: $mirror
	Suites: ${DEBIAN_RELEASE}-backports
	Components: main
	Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	EOF
}

# Adds the ppc64el architecture, and bookworm-backports when no suite the
# machine has carries the kernel; installs the host tools.
host_setup() {
	if [[ $(id -u) != 0 ]]; then
		skip "host set-up needs root (dpkg --add-architecture, apt-get install)"
	fi
	if [[ " $(dpkg --print-foreign-architectures | tr '\n' ' ') " != *" ppc64el "* ]]; then
		log "dpkg --add-architecture ppc64el (undo: dpkg --remove-architecture ppc64el)"
		dpkg --add-architecture ppc64el
	fi
	# Every run: the archive moves (a new kernel or DPDK point release
	# replaces the old .deb on the mirror), and the candidates must be
	# today's. A few seconds; with no network the old lists serve.
	apt_update
	if [[ -z $(kernel_package_name "") ]] && ! apt_has_backports; then
		add_backports
		apt_update
	fi
	local missing=() p
	for p in "${HOST_PKGS[@]}"; do
		[[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == "install ok installed" ]] ||
			missing+=("$p")
	done
	if ((${#missing[@]})); then
		log "apt-get install ${missing[*]}"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			"${missing[@]}" >"$LOGDIR/apt-install.log" 2>&1 ||
			skip "apt-get install ${missing[*]} failed: $(tail -n 2 "$LOGDIR/apt-install.log" | tr '\n' ' ')"
		machine_changes_record_packages "${missing[@]}"
	fi
	QEMU_VERSION=$(dpkg-query -W -f='${Version}' qemu-system-ppc)
}

# Newest linux-image-<ver>-powerpc64le[$1] in backports ($1: "" or "-64k").
kernel_package_name() {
	local suffix=$1
	apt-cache search --names-only "^linux-image-[0-9.]+.*-powerpc64le${suffix}\$" 2>/dev/null |
		awk '{print $1}' | grep -E "^linux-image-${KERNEL_SERIES//./\\.}\\.[0-9]+.*-powerpc64le${suffix}\$" |
		grep -v -- '-dbg$' | grep -v unsigned | sort -V | tail -n 1 || true
}

# Candidate versions: "name version" per package of $@ (name[:arch]) that
# apt can install, nothing for the others. The candidate is what apt-get
# install or download would take (pinning, security and point releases
# weighed); `apt-cache show` lists every version the sources carry, in no
# order to rely on (bookworm and bookworm-security both carry DPDK 22.11,
# two versions), so its first record is not it. awk reads its whole input:
# a reader that stops early (head, grep -q) kills apt-cache with SIGPIPE,
# which pipefail turns into the failure of the whole run.
# APT_OPTS: options of another package index than the machine's (a
# private apt configuration for another Debian release; lib/sysroot.sh).
APT_OPTS=()
apt_candidates() {
	apt-cache "${APT_OPTS[@]}" policy "$@" 2>/dev/null | awk '
		/^[^ ]/ { name = $1; sub(/:$/, "", name); sub(/:[a-z0-9]+$/, "", name) }
		$1 == "Candidate:" && $2 != "(none)" { print name, $2 }'
}

# The candidate version of package $1 (name[:arch]), or nothing.
apt_candidate() { apt_candidates "$1" | awk '{ v = $2 } END { if (v != "") print v }'; }

# The cache file of version $2 of package $1 (apt-get download's name:
# name_version_arch.deb, with ":" of an epoch written "%3a"), if there.
cached_deb() {
	local f
	for f in "$CACHE/debs/${1}_${2//:/%3a}_"{ppc64el,all}.deb; do
		[[ -e $f ]] && { echo "$f"; return 0; }
	done
	return 1
}

# apt-get download the packages $@ (name:arch=version) into the cache, in
# one call (much faster than one per package); skip the run if apt cannot.
download_debs() {
	mkdir -p "$CACHE/debs"
	log "apt-get download $(($#)) package(s): $(echo "$*" | cut -c1-100)"
	(cd "$CACHE/debs" && apt-get "${APT_OPTS[@]}" download -qq "$@" >>"$LOGDIR/download.log" 2>&1) ||
		skip "apt-get download failed: $(tail -n 2 "$LOGDIR/download.log" | tr '\n' ' ')"
}

# The candidate .deb of ppc64el package $1 in the cache, downloaded if
# missing. Prints its path; skips the run when apt has no candidate.
fetch_candidate_deb() {
	local pkg=$1 ver deb
	ver=$(apt_candidate "$pkg:ppc64el")
	[[ -n $ver ]] || skip "apt has no candidate for $pkg:ppc64el (is the ppc64el architecture added, and apt-get update done?)"
	if ! deb=$(cached_deb "$pkg" "$ver"); then
		download_debs "$pkg:ppc64el=$ver"
		deb=$(cached_deb "$pkg" "$ver") ||
			skip "apt-get download $pkg:ppc64el=$ver left no .deb in $CACHE/debs"
	fi
	echo "$deb"
}

# The candidate of ppc64el package $1, unpacked with dpkg-deb -x into
# directory $2 (emptied first when it holds another version). Sets
# FETCHED_DEB to the .deb path. Not to be called in a command substitution:
# there bash clears -e, and a failed unpack would go unnoticed.
fetch_deb() {
	local pkg=$1 dest=$2 deb
	deb=$(fetch_candidate_deb "$pkg")
	if [[ ! -e $dest/.unpacked-${deb##*/} ]]; then
		rm -rf "$dest"
		mkdir -p "$dest"
		dpkg-deb -x "$deb" "$dest"
		touch "$dest/.unpacked-${deb##*/}"
	fi
	FETCHED_DEB=$deb
}

# The first of the files $@ (a glob's expansion) that exists, or nothing.
first_file() {
	local f
	for f in "$@"; do [[ -e $f ]] && { echo "$f"; return 0; }; done
	return 0
}

# A target is a machine name, for the DPDK suites with the DPDK LTS the
# job runs (powernv9-64k@24.11).
# The kernel flavour of a target: powernv9-64k -> 64k, anything else -> 4k.
target_flavour() { [[ ${1%@*} == *-64k ]] && echo 64k || echo 4k; }
target_machine() { local t=${1%@*}; echo "${t%-64k}"; }
# The target without its DPDK (powernv9-64k), and its DPDK (24.11 or nothing).
target_name() { echo "${1%@*}"; }
target_dpdk() { [[ $1 == *@* ]] && echo "${1#*@}"; return 0; }
# For verdicts: "powernv9-64k DPDK 24.11".
target_label() {
	if [[ $1 == *@* ]]; then echo "${1%@*} DPDK ${1#*@}"; else echo "$1"; fi
}

declare -A VMLINUX_OF=() KVER_OF=() KPKG_VERSION_OF=()

# Kernel of flavour $1 (4k or 64k): VMLINUX_OF[$1], KVER_OF[$1].
fetch_kernel() {
	local flav=$1 suffix='' dir=$CACHE/kernel kpkg deb vmlinux
	if [[ $flav == 64k ]]; then suffix=-64k; dir=$CACHE/kernel-64k; fi
	kpkg=$(kernel_package_name "$suffix")
	[[ -n $kpkg ]] || skip "no linux-image-${KERNEL_SERIES}.*-powerpc64le${suffix} in ${DEBIAN_RELEASE}-backports"
	fetch_deb "$kpkg" "$dir"
	deb=$FETCHED_DEB
	vmlinux=$(first_file "$dir"/boot/vmlinux-*)
	[[ -r $vmlinux ]] || fail "no vmlinux in $deb"
	VMLINUX_OF[$flav]=$vmlinux
	KVER_OF[$flav]=${vmlinux##*/vmlinux-}
	KPKG_VERSION_OF[$flav]=$(dpkg-deb -f "$deb" Version)
	log "kernel $flav: ${KVER_OF[$flav]} (package version ${KPKG_VERSION_OF[$flav]}, $(basename "$deb"))"
}

# Kernels of every flavour in use, and busybox for the guest.
fetch_guest_packages() {
	local flav
	fetch_deb busybox-static "$CACHE/busybox"
	BUSYBOX_DEB=$FETCHED_DEB
	for flav in "${FLAVOURS[@]}"; do fetch_kernel "$flav"; done
	# The summary names the kernel of the first flavour; each job names
	# its own.
	KVER=${KVER_OF[${FLAVOURS[0]}]}
	KERNEL_PKG_VERSION=${KPKG_VERSION_OF[${FLAVOURS[0]}]}
	log "busybox $(basename "$BUSYBOX_DEB")"
}
