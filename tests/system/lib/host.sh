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
BACKPORTS_SOURCES=/etc/apt/sources.list.d/spapr-dpdk-testbed-backports.sources

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

# Adds ppc64el and bookworm-backports if missing; installs the host tools.
host_setup() {
	local changed=0 mirror
	if [[ $(id -u) != 0 ]]; then
		skip "host set-up needs root (dpkg --add-architecture, apt-get install)"
	fi
	if ! dpkg --print-foreign-architectures | grep -qx ppc64el; then
		log "dpkg --add-architecture ppc64el"
		dpkg --add-architecture ppc64el
		changed=1
	fi
	if ! apt_has_backports; then
		mirror=$(debian_mirror) || skip "no Debian ${DEBIAN_RELEASE} entry in the apt sources"
		log "adding ${DEBIAN_RELEASE}-backports from $mirror"
		cat >"$BACKPORTS_SOURCES" <<-EOF
		# Added by spapr-dpdk tests/system/run: the ppc64el guest kernel 6.12.
		Types: deb
		URIs: $mirror
		Suites: ${DEBIAN_RELEASE}-backports
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
		EOF
		changed=1
	fi
	if [[ $changed == 1 || ! -e $CACHE/.apt-updated ]] ||
	   [[ -n $(find "$CACHE/.apt-updated" -mmin +720 2>/dev/null) ]]; then
		log "apt-get update"
		# A partial failure (one index of a mirror mid-sync, e.g. the
		# security suite's ppc64el list) is not fatal: what matters is
		# whether the packages below can be found and installed, which
		# is checked next and reported as a skip if not.
		if apt-get update -qq >"$LOGDIR/apt-update.log" 2>&1; then
			touch "$CACHE/.apt-updated"
		else
			log "warning: apt-get update reported errors: $(grep -m1 '^E:' "$LOGDIR/apt-update.log")"
		fi
	fi
	local missing=() p
	for p in "${HOST_PKGS[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	if ((${#missing[@]})); then
		log "apt-get install ${missing[*]}"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			"${missing[@]}" >"$LOGDIR/apt-install.log" 2>&1 ||
			skip "apt-get install ${missing[*]} failed: $(tail -n 2 "$LOGDIR/apt-install.log" | tr '\n' ' ')"
	fi
}

# Newest linux-image-<ver>-powerpc64le[$1] in backports ($1: "" or "-64k").
kernel_package_name() {
	local suffix=$1
	apt-cache search --names-only "^linux-image-[0-9.]+.*-powerpc64le${suffix}\$" 2>/dev/null |
		awk '{print $1}' | grep -E "^linux-image-${KERNEL_SERIES//./\\.}\\.[0-9]+.*-powerpc64le${suffix}\$" |
		grep -v -- '-dbg$' | grep -v unsigned | sort -V | tail -n 1 || true
}

# The newest cached .deb of package $1 (a name without :arch), or nothing.
cached_deb() {
	ls "$CACHE"/debs/"$1"_*.deb 2>/dev/null | sort -V | tail -n 1 || true
}

# apt-get download the packages $@ (name[:arch]) into the cache, in one
# call (much faster than one per package); skip the run if apt cannot.
download_debs() {
	mkdir -p "$CACHE/debs"
	log "apt-get download $(($#)) package(s): $(echo "$*" | cut -c1-100)"
	(cd "$CACHE/debs" && apt-get download -qq "$@" >>"$LOGDIR/download.log" 2>&1) ||
		skip "apt-get download failed: $(tail -n 2 "$LOGDIR/download.log" | tr '\n' ' ')"
}

# apt-get download into the cache (once) and unpack with dpkg-deb -x.
# $1 package (may carry :arch), $2 target directory. Prints the .deb path.
fetch_deb() {
	local pkg=$1 dest=$2 deb
	deb=$(cached_deb "${pkg%%:*}")
	if [[ -z $deb ]]; then
		download_debs "$pkg"
		deb=$(cached_deb "${pkg%%:*}")
		[[ -n $deb ]] || skip "apt-get download $pkg left no .deb in $CACHE/debs"
	fi
	if [[ ! -e $dest/.unpacked-$(basename "$deb") ]]; then
		rm -rf "$dest"
		mkdir -p "$dest"
		dpkg-deb -x "$deb" "$dest"
		touch "$dest/.unpacked-$(basename "$deb")"
	fi
	echo "$deb"
}

# The kernel flavour of a target: powernv9-64k -> 64k, anything else -> 4k.
target_flavour() { [[ $1 == *-64k ]] && echo 64k || echo 4k; }
target_machine() { echo "${1%-64k}"; }

declare -A VMLINUX_OF=() KVER_OF=()

# Kernel of flavour $1 (4k or 64k): VMLINUX_OF[$1], KVER_OF[$1].
fetch_kernel() {
	local flav=$1 suffix='' dir=$CACHE/kernel kpkg deb vmlinux
	if [[ $flav == 64k ]]; then suffix=-64k; dir=$CACHE/kernel-64k; fi
	kpkg=$(kernel_package_name "$suffix")
	[[ -n $kpkg ]] || skip "no linux-image-${KERNEL_SERIES}.*-powerpc64le${suffix} in ${DEBIAN_RELEASE}-backports"
	deb=$(fetch_deb "$kpkg:ppc64el" "$dir")
	vmlinux=$(ls "$dir"/boot/vmlinux-* 2>/dev/null | head -n 1 || true)
	[[ -r $vmlinux ]] || fail "no vmlinux in $deb"
	VMLINUX_OF[$flav]=$vmlinux
	KVER_OF[$flav]=${vmlinux##*/vmlinux-}
	log "kernel $flav: ${KVER_OF[$flav]} ($(basename "$deb"))"
}

# Kernels of every flavour in use, and busybox for the guest.
fetch_guest_packages() {
	local flav
	BUSYBOX_DEB=$(fetch_deb busybox-static:ppc64el "$CACHE/busybox")
	for flav in "${FLAVOURS[@]}"; do fetch_kernel "$flav"; done
	# The summary names the kernel of the first flavour.
	KVER=${KVER_OF[${FLAVOURS[0]}]}
	log "busybox $(basename "$BUSYBOX_DEB")"
}
