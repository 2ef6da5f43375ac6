# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=sh
# Suite "ovs" (sourced by /init): Debian's ppc64el Open vSwitch with DPDK
# (openvswitch-switch-dpdk, ovs-vswitchd-dpdk) on the two NICs bound to
# vfio-pci, joined by a QEMU hub, so what one sends the other receives.
# Two runs in this one guest, each with its own ovsdb-server and
# ovs-vswitchd (dpdk-init happens once per process):
#   plugin    other_config:dpdk-extra="-d librte_bus_spapr.so ..."
#   baseline  the same without -d: stock DPDK's own sPAPR code
# (the baseline runs last: if it fails it may leave the PE in a state that
# says nothing about the plugin). Each run:
#   1. ovsdb-server and ovs-vswitchd (dpdk-init=true) in a directory of
#      their own, like tests/ovs/run-ovs.sh (OVS_RUNDIR, a database made
#      with ovsdb-tool, punix remote);
#   2. bridge br0 (datapath_type=netdev), ports p0 and p1 of type dpdk with
#      options:dpdk-devargs=<PCI address of each NIC>;
#   3. flows p0 -> p1 and p1 -> p0, then frames sent out of both ports with
#      ovs-ofctl packet-out: each circulates p0 -> hub -> p1 -> OVS -> p0
#      ... for OV_FWD_SECONDS, then ovs-ofctl dump-ports br0 and the
#      interfaces' statistics;
#   4. del-port p1 (OVS closes the port and removes its device:
#      rte_dev_remove()), frames sent out of p0 meanwhile, add-port p1
#      again (rte_dev_probe() of its PCI address), flows and frames again,
#      forwarding, dump-ports and statistics again. Only p0's NIC is probed
#      at EAL init (-a in dpdk-extra): p1's is probed when p1 is added,
#      both times, which is what makes OVS remove it at del-port;
#   5. ovs-appctl exit of both daemons.
# Records: @@ O (one line per run and phase: counters, errors, times),
# @@ W (plan and set-up lines of the vswitchd log), @@ H (what OVS, DPDK
# and the plugin logged around the del-port/add-port), @@ D (dump-ports
# as printed), @@ S (interface statistics), @@ E (error and warning lines
# of the vswitchd log), @@ K (kernel lines of the run: vfio, IOMMU, EEH,
# faults), @@ L (log tail of a run that did not forward).
# Kernel command line: spapr.ovs_fwd_seconds=N.
# Variables are prefixed OV_ and functions ov_: this runs inside init's shell.
OV_LIBDIR=/usr/lib/powerpc64le-linux-gnu
export PATH=/usr/bin:/usr/sbin:/bin
export LD_LIBRARY_PATH=$OV_LIBDIR:/lib/powerpc64le-linux-gnu
OV_PLUGIN=/opt/spapr-dpdk/librte_bus_spapr.so
OV_VSWITCHD=/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk
OV_SCHEMA=/usr/share/openvswitch/vswitch.ovsschema
OV_OUT=/tmp/results.txt
OV_FWD_SECONDS=10
OV_START_TIMEOUT=300	# guest seconds ovs-vswitchd may take to detach (EAL init)
OV_CMD_TIMEOUT=180	# guest seconds one ovs-vsctl may wait for vswitchd
OV_FRAMES=4		# frames sent out of each port by packet-out
# shellcheck disable=SC2013 # the command line is words
for w in $(cat /proc/cmdline); do
	case $w in
	spapr.ovs_fwd_seconds=*) OV_FWD_SECONDS=${w#*=} ;;
	esac
done

mkdir -p /var/run /dev/hugepages
mount -t tmpfs tmpfs /var/run

# Memory: 2M hugepages where the kernel has them (pseries): 64 MiB at init
# and room for OVS's mbuf pool, which it allocates when the first port is
# added (after EAL init: memory events for the plugin), bounded by
# dpdk-socket-limit. QEMU's powernv under radix has no hugetlb
# (doc/testbed.md): there DPDK runs --no-huge with a fixed 192 MiB (stock
# DPDK maps it at init one 4K page per ioctl pair: minutes under TCG) and
# OVS takes a mempool per port (per-port-memory=true: about 22 600 mbufs
# each, sized by the port's queues): OVS's shared pool asks for 262 144
# mbufs and halves the request only while DPDK says ENOMEM, which static
# --no-huge memory did not (it gave up at 65 536 in 128 MiB: "Failed to
# create memory pool for netdev p0 ... No buffer space available"). And
# --legacy-mem: OVS adds --in-memory to the EAL arguments unless they
# have --in-memory or --legacy-mem, and DPDK 22.11 refuses --in-memory
# with --no-huge, which implies legacy memory ("Option --legacy-mem is not
# compatible with --in-memory": no EAL, no OVS).
OV_HP=/sys/kernel/mm/hugepages/hugepages-2048kB
OV_HUGE=no
if [ -d $OV_HP ]; then
	echo 112 >$OV_HP/nr_hugepages 2>/dev/null
	if [ "$(cat $OV_HP/nr_hugepages)" -ge 80 ] &&
	   mount -t hugetlbfs -o pagesize=2M nodev /dev/hugepages; then
		OV_HUGE=yes
	fi
fi
if [ $OV_HUGE = yes ]; then
	OV_MEMCFG="other_config:dpdk-socket-mem=64 other_config:dpdk-socket-limit=128"
	OV_MEMARGS="--huge-dir /dev/hugepages"
else
	OV_MEMCFG="other_config:per-port-memory=true"
	OV_MEMARGS="--no-huge -m 192 --legacy-mem"
fi
# p0 is the lower PCI address.
OV_NIC0=$(for n in $NICS; do echo "$n"; done | sort | sed -n 1p)
OV_NIC1=$(for n in $NICS; do echo "$n"; done | sort | sed -n 2p)
echo "ovs: hugepages=$OV_HUGE; memory $OV_MEMCFG $OV_MEMARGS; kernel $(cat /etc/kernel-release); page size $(getconf PAGESIZE 2>/dev/null || echo ?)" >>/tmp/env.txt
echo "ovs-version $(cat /etc/ovs-version 2>/dev/null || echo unknown)" >>/tmp/env.txt
echo "dpdk $(cat /etc/dpdk-version 2>/dev/null || echo unknown)" >>/tmp/env.txt

ov_uptime() { cut -d' ' -f1 /proc/uptime; }
ov_since() { awk -v a="$1" -v b="$(ov_uptime)" 'BEGIN { printf "%.1f", b - a }'; }
ov_rec() { echo "$*" >>"$OV_OUT"; }
ov_alive() { [ -r "/proc/$1/status" ] && ! grep -q '^State:.*Z' "/proc/$1/status"; }
ov_vsctl() { ovs-vsctl --db="$OV_DB" --timeout=$OV_CMD_TIMEOUT "$@"; }

# Stop a daemon by its pidfile $1 (only what this run started), waiting up
# to 60 s after ovs-appctl exit, then SIGKILL.
ov_stop() {
	ov_p=$(cat "$1" 2>/dev/null)
	[ -n "$ov_p" ] || return 0
	ovs-appctl -t "$2" exit >/dev/null 2>&1 &
	ov_w=0
	while [ $ov_w -lt 60 ] && ov_alive "$ov_p"; do sleep 1; ov_w=$((ov_w + 1)); done
	ov_alive "$ov_p" && { kill -9 "$ov_p" 2>/dev/null; echo killed; return 0; }
	echo exited
}

# A 60-byte Ethernet broadcast frame from source MAC 02:00:00:00:00:$1
# (ethertype 0x88b5, local experimental): broadcast, so no MAC filter of
# the receiving NIC drops it whatever OVS set.
ov_frame() {
	printf 'ffffffffffff0200000000%s88b5' "$1"
	i=0
	while [ $i -lt 46 ]; do printf '00'; i=$((i + 1)); done
}

# Flows p0 -> p1 and p1 -> p0 (replacing the bridge's NORMAL flow).
ov_flows() {
	ovs-ofctl del-flows br0 &&
	ovs-ofctl add-flow br0 in_port=p0,actions=output:p1 &&
	ovs-ofctl add-flow br0 in_port=p1,actions=output:p0
}

# ov_send PORT... : OV_FRAMES frames out of each port (by OpenFlow port
# number), from the controller.
ov_send() {
	for ov_port in "$@"; do
		ov_ofp=$(ov_vsctl get interface "$ov_port" ofport)
		ov_k=0
		while [ $ov_k -lt $OV_FRAMES ]; do
			ovs-ofctl packet-out br0 "in_port=controller packet=$(ov_frame "0$ov_k") actions=output:$ov_ofp" ||
				ov_rec "@@ E mode=$OV_MODE packet-out on $ov_port (ofport $ov_ofp) failed"
			ov_k=$((ov_k + 1))
		done
	done
}

# Counters of port $1 from the last dump-ports ($OV_DUMP): "rx tx rxerr
# txerr rxdrop txdrop", 0 for a port that is not there.
ov_port_counters() {
	ov_ofp=$(ov_vsctl get interface "$1" ofport 2>/dev/null)
	awk -v p="$ov_ofp" '
		$1 == "port" { cur = $2; sub(":", "", cur); rx = 1 }
		cur == p {
			if ($1 != "port") rx = ($1 == "rx")
			for (i = 1; i <= NF; i++) {
				split($i, kv, "="); v = kv[2]; sub(",", "", v)
				if (kv[1] == "pkts") { if (rx) r = v; else t = v }
				if (kv[1] == "errs") { if (rx) re = v; else te = v }
				if (kv[1] == "drop") { if (rx) rd = v; else td = v }
			}
		}
		END { printf "%d %d %d %d %d %d\n", r, t, re, te, rd, td }' "$OV_DUMP"
}

# dump-ports and statistics of phase $1: @@ D and @@ S records; sets
# OV_C_p0 and OV_C_p1 (ov_port_counters).
ov_measure() {
	OV_DUMP=/tmp/ovs-$OV_MODE-$1.dump
	ovs-ofctl --no-names dump-ports br0 >"$OV_DUMP" 2>&1
	sed "s/^/@@ D mode=$OV_MODE phase=$1 /" "$OV_DUMP" >>"$OV_OUT"
	for ov_port in p0 p1; do
		ov_rec "@@ S mode=$OV_MODE phase=$1 $ov_port ofport=$(ov_vsctl get interface $ov_port ofport 2>/dev/null) $(ov_vsctl get interface $ov_port statistics 2>&1 | tr -d ' ')"
	done
	OV_C_p0=$(ov_port_counters p0)
	OV_C_p1=$(ov_port_counters p1)
}

# The interface's error column, "[]" when it has none, without blanks.
ov_iface_error() { ov_vsctl get interface "$1" error 2>&1 | tr ' ' '_' | cut -c1-200; }

# Kernel lines since line $1 of dmesg that concern the NICs' DMA: vfio,
# IOMMU/TCE/DDW, EEH, faults; @@ K records; sets OV_KBAD to the number of
# them that report a problem.
ov_kernel_lines() {
	dmesg | tail -n +"$(($1 + 1))" |
		grep -iE 'vfio|iommu|tce|ddw|eeh|fault|frozen|dma|e1000|virtio|WARNING|BUG|Oops|Call Trace' |
		head -n 40 | sed "s/^/@@ K mode=$OV_MODE /" >>"$OV_OUT"
	OV_KBAD=$(dmesg | tail -n +"$(($1 + 1))" |
		grep -cE 'EEH|[Ff]ault|[Ff]rozen|WARNING|BUG|Oops|Call Trace|DMA.*(error|fail)|iommu.*(fail|error)|tce.*(fail|error)|ddw.*(fail|error)')
}

# "rx/tx" and rx+tx errors of a counter line (ov_port_counters); nothing
# (and status 1) for a phase that did not happen.
ov_rt() { [ -n "$1" ] && echo "$1" | awk '{ printf "%s/%s", $1, $2 }'; }
ov_errs() { [ -n "$1" ] && echo "$1" | awk '{ printf "%d", $3 + $4 }'; }
# The vswitchd log without its timestamp and sequence number.
ov_strip() { sed 's/^[^|]*|[0-9]*|//'; }

# ov_run MODE EXPECT DPDK_EXTRA
ov_run() {
	OV_MODE=$1 ov_expect=$2 ov_extra=$3
	ov_d=/tmp/ovs-$1
	rm -rf "$ov_d"; mkdir -p "$ov_d"
	export OVS_RUNDIR="$ov_d" OVS_DBDIR="$ov_d" OVS_LOGDIR="$ov_d" OVS_SYSCONFDIR="$ov_d"
	OV_DB=unix:$ov_d/db.sock
	ov_log=$ov_d/ovs-vswitchd.log
	ov_k0=$(dmesg | wc -l)
	ov_started=no ov_added=no ov_err0='' ov_err1='' ov_startup='' ov_add_s=''
	OV_C_p0='0 0 0 0 0 0' OV_C_p1='0 0 0 0 0 0'
	ov_first_p0='' ov_first_p1='' ov_hp_p0='' ov_hp_p1='' ov_hp_err='' ov_gap_tx='' ov_hp_s=''
	# shellcheck disable=SC2086 # OV_MEMCFG is a word list
	if ! { ovsdb-tool create "$ov_d/conf.db" $OV_SCHEMA >"$ov_d/ovsdb-tool.log" 2>&1 &&
	       ovsdb-server "$ov_d/conf.db" --detach --no-chdir --pidfile="$ov_d/ovsdb-server.pid" \
		--log-file="$ov_d/ovsdb-server.log" -vconsole:off --remote="punix:$ov_d/db.sock" \
		--unixctl="$ov_d/ovsdb-server.ctl" >"$ov_d/ovsdb-server.out" 2>&1 &&
	       ov_vsctl --no-wait init &&
	       ov_vsctl --no-wait set Open_vSwitch . other_config:dpdk-init=true $OV_MEMCFG \
		"other_config:dpdk-extra=$ov_extra"; }; then
		ov_rec "@@ E mode=$1 ovsdb set-up failed: $(tail -n 3 "$ov_d"/ovsdb-* 2>/dev/null | tr '\n' ' ')"
	fi
	ov_t0=$(ov_uptime)
	# --detach returns once the daemon has read the database and run DPDK's
	# EAL init (or failed).
	timeout $OV_START_TIMEOUT $OV_VSWITCHD "$OV_DB" --detach --no-chdir --pidfile="$ov_d/ovs-vswitchd.pid" \
		--log-file="$ov_log" -vconsole:off --unixctl="$ov_d/ovs-vswitchd.ctl" >"$ov_d/vswitchd.out" 2>&1
	ov_rc=$?
	ov_startup=$(ov_since "$ov_t0")
	[ $ov_rc = 0 ] && ov_alive "$(cat "$ov_d/ovs-vswitchd.pid" 2>/dev/null)" && ov_started=yes
	if [ $ov_started = yes ]; then
		ov_t1=$(ov_uptime)
		ov_vsctl add-br br0 -- set bridge br0 datapath_type=netdev >>"$ov_d/vsctl.log" 2>&1
		ov_vsctl add-port br0 p0 -- set Interface p0 type=dpdk "options:dpdk-devargs=$OV_NIC0" \
			-- add-port br0 p1 -- set Interface p1 type=dpdk "options:dpdk-devargs=$OV_NIC1" \
			>>"$ov_d/vsctl.log" 2>&1
		ov_add_s=$(ov_since "$ov_t1")
		ov_err0=$(ov_iface_error p0)
		ov_err1=$(ov_iface_error p1)
		[ "$ov_err0" = "[]" ] && [ "$ov_err1" = "[]" ] && ov_added=yes
		ov_flows >>"$ov_d/vsctl.log" 2>&1 || ov_rec "@@ E mode=$1 ovs-ofctl add-flow failed"
		if [ $ov_added = yes ]; then
			ov_send p0 p1
			sleep "$OV_FWD_SECONDS"
		fi
		ov_measure first
		ov_first_p0=$OV_C_p0 ov_first_p1=$OV_C_p1
		if [ $ov_added = yes ]; then
			# p1 leaves and comes back while p0 stays: OVS closes p1 and
			# removes its device; frames out of p0 meanwhile (the hub
			# delivers them to p1's NIC, which nobody drives then).
			ov_t2=$(ov_uptime)
			ov_vsctl del-port br0 p1 >>"$ov_d/vsctl.log" 2>&1
			ov_measure gap-before
			ov_gap0=$(echo "$OV_C_p0" | cut -d' ' -f2)
			ov_send p0
			sleep 2
			ov_measure gap-after
			ov_gap_tx=$(($(echo "$OV_C_p0" | cut -d' ' -f2) - ov_gap0))
			ov_vsctl add-port br0 p1 -- set Interface p1 type=dpdk "options:dpdk-devargs=$OV_NIC1" \
				>>"$ov_d/vsctl.log" 2>&1
			ov_hp_s=$(ov_since "$ov_t2")
			ov_hp_err=$(ov_iface_error p1)
			ov_flows >>"$ov_d/vsctl.log" 2>&1 || ov_rec "@@ E mode=$1 ovs-ofctl add-flow (after add-port) failed"
			ov_send p0 p1
			sleep "$OV_FWD_SECONDS"
			ov_measure hotplug
			ov_hp_p0=$OV_C_p0 ov_hp_p1=$OV_C_p1
		fi
	fi
	ov_vs_end=$(ov_stop "$ov_d/ovs-vswitchd.pid" "$ov_d/ovs-vswitchd.ctl")
	ov_db_end=$(ov_stop "$ov_d/ovsdb-server.pid" "$ov_d/ovsdb-server.ctl")
	ov_kernel_lines "$ov_k0"
	# Counters as "rx/tx": p0 and p1 after the first forwarding, and after
	# p1 came back (p0's are cumulative, p1's start again at 0: a new port).
	ov_rec "@@ O mode=$1 expect=$ov_expect started=$ov_started startup_s=$ov_startup added=$ov_added add_s=$ov_add_s" \
		"p0=$(ov_rt "$ov_first_p0") p1=$(ov_rt "$ov_first_p1") errs=$(( $(ov_errs "$ov_first_p0" || echo 0) + $(ov_errs "$ov_first_p1" || echo 0) ))" \
		"gap_p0_tx=$ov_gap_tx hp_s=$ov_hp_s hp_error=$ov_hp_err hp_p0=$(ov_rt "$ov_hp_p0") hp_p1=$(ov_rt "$ov_hp_p1")" \
		"hp_errs=$(( $(ov_errs "$ov_hp_p0" || echo 0) + $(ov_errs "$ov_hp_p1" || echo 0) ))" \
		"kernel_bad=$OV_KBAD vswitchd=$ov_vs_end ovsdb=$ov_db_end fwd_s=$OV_FWD_SECONDS"
	ov_rec "@@ O mode=$1 error p0=$ov_err0 p1=$ov_err1"
	[ -r "$ov_log" ] || : >"$ov_log"
	grep -E 'EAL ARGS|Using DPDK|DPDK Enabled|DPDK pdump|spapr: (plan|DMA set up|memory|IOMMU group|hotplug|no memory)|VFIO|vfio|DMA window|start address|IOVA' "$ov_log" |
		ov_strip | head -n 40 | sed "s/^/@@ W mode=$1 /" >>"$OV_OUT"
	# From the del-port on: OVS's device removal and probe, the plugin's
	# group leaving and joining.
	grep -E "Device '[^']*' (attached|has been removed)|can not be detached|Error attaching" "$ov_log" |
		ov_strip | head -n 10 | sed "s/^/@@ H mode=$1 /" >>"$OV_OUT"
	sed -n '/bridge|INFO|bridge br0: deleted interface p1/,$p' "$ov_log" |
		grep -E 'p1|spapr:|[Dd]evice|[Aa]ttach|[Dd]etach|[Rr]emov|[Pp]robe|VFIO|vfio|IOMMU|EAL' |
		grep -vE "Device '[^']*' (attached|has been removed)" |
		ov_strip | head -n 40 | sed "s/^/@@ H mode=$1 /" >>"$OV_OUT"
	# Errors and warnings, without OVS's own notes on slow main-loop
	# iterations (timeval, ovs_rcu: the guest is emulated).
	grep -E '\|(EMER|ERR|WARN)\|' "$ov_log" | grep -vE '\|(timeval|ovs_rcu[^|]*)\|' |
		ov_strip | head -n 25 | sed "s/^/@@ E mode=$1 /" >>"$OV_OUT"
	ov_tail=no
	[ "$ov_added" = yes ] || ov_tail=yes
	[ "$ov_expect" = forward ] && [ "$(echo "${ov_hp_p1:-0}" | cut -d' ' -f1)" = 0 ] && ov_tail=yes
	if [ $ov_tail = yes ]; then
		grep -v '|coverage|' "$ov_log" | tail -n 40 | ov_strip | sed "s/^/@@ L mode=$1 /" >>"$OV_OUT"
		tail -n 10 "$ov_d/vsctl.log" "$ov_d/vswitchd.out" 2>/dev/null | sed "s/^/@@ L mode=$1 /" >>"$OV_OUT"
	fi
	# Leftover hugepage files of a killed run (OVS runs --in-memory, so
	# normally none).
	rm -f /dev/hugepages/* 2>/dev/null
	unset OVS_RUNDIR OVS_DBDIR OVS_LOGDIR OVS_SYSCONFDIR
}

echo "@@ BEGIN" >"$OV_OUT"
if [ -z "$OV_NIC1" ]; then
	ov_rec "@@ X suite ovs needs two NICs (found: $NICS)"
else
	# Only p0's NIC is probed at EAL init (-a): OVS 3.1 removes a device
	# at del-port (rte_dev_remove) only if it probed it itself at add-port
	# (rte_dev_probe, netdev_dpdk_process_devargs: dev->attached), so p1's
	# NIC comes and goes with its port: the plugin's hotplug path, twice.
	# The plugin's log lines reach the vswitchd log at INFO (OVS's dpdk
	# module; bus.spapr's default level); the EAL's at INFO too, for the
	# baseline's reason.
	ov_run plugin forward "$OV_MEMARGS -a $OV_NIC0 -d $OV_PLUGIN --log-level=lib.eal:info"
	ov_run baseline any "$OV_MEMARGS -a $OV_NIC0 --log-level=lib.eal:info"
fi
echo "@@ END" >>"$OV_OUT"
