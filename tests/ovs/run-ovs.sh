#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# run-ovs.sh PLUGIN PMD [--profile P] [--seconds N] [--env] [--socket-limit MB|none]
#            [--p1-group N] [--keep]
#
# Debian's Open vSwitch with DPDK (ovs-vswitchd-dpdk) loads the spapr plugin
# in model mode through other_config:dpdk-extra and forwards between two
# net_spapr_model ports of a netdev bridge (flows p0 -> p1 and p1 -> p0; the
# ports' traffic sources feed the loop, doc/nic-model.md). ovsdb-server and
# ovs-vswitchd run in a private directory (like OVS's sandbox: OVS_RUNDIR,
# OVS_DBDIR, OVS_LOGDIR, a database made with ovsdb-tool, punix remote) with
# their own DPDK --file-prefix; the system's Open vSwitch service is neither
# used nor touched; ovs-vswitchd runs in a network namespace of its own.
# Both daemons are stopped and the directory removed at
# the end (--keep keeps the directory and prints it).
#
# The plugin's options go in dpdk-extra as -a bus=spapr,...; with --env they
# come from SPAPR_DPDK_OPTS in ovs-vswitchd's environment instead, and
# dpdk-extra has no -a: then OVS 4.0 adds its own allow-list entries that
# keep DPDK from probing any device at init (dpdk-probe-at-init=false,
# OVS commit 02c5b24e0), and every port is hot-plugged (rte_dev_probe) when
# it is added. With -a bus=spapr,... in dpdk-extra OVS 4.0 adds none.
#
# --p1-group N puts p1 on model IOMMU group N (dpdk-devargs
# net_spapr_model1,group=N): that group is set up when OVS adds p1, after
# EAL init (the plugin's hotplug path: PowerNV joins container 0, pseries
# gets a container of its own).
#
# Memory: dpdk-socket-mem=64 at init and dpdk-socket-limit=128 (--socket-limit
# none: no limit, so that OVS's first try at its mbuf pool, 262144 mbufs,
# grows DPDK's memory far beyond what was there at init).
#
# Checks: the plugin's plan line in the vswitchd log; rx and tx > 0 on both
# ports in ovs-ofctl dump-ports, no errors; the model NIC's xstats read
# through DPDK telemetry (dma_checks > 0, dma_faults 0, pe_faults 0); the
# interface statistics OVS reports (rx_errors, tx_errors 0); no failure
# message from the plugin; the PE totals the PMD logs when OVS detaches the
# ports (0 faults).
#
# Last line, for scripts:
#   ovs: ovs=<version> dpdk=<version> profile=<p> mode=<direct|indirect> p1_devargs=<devargs>
#        p0=<rx>/<tx> p1=<rx>/<tx> dma_checks=<n> dma_faults=<n>
# Exit 0 pass, 1 fail, 77 skipped (not root, no hugepages, no OVS package).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 2 ] || { echo "usage: run-ovs.sh PLUGIN PMD [--profile P] [--seconds N] [--env] [--socket-limit MB|none] [--keep]" >&2; exit 1; }
plugin=$1 pmd=$2
shift 2
profile=powernv9 seconds=4 keep=0 env=0 socket_limit=128 p1_devargs=net_spapr_model1 p1_group=
while [ $# -gt 0 ]; do
	case "$1" in
	--profile) profile=$2; shift 2 ;;
	--seconds) seconds=$2; shift 2 ;;
	--keep) keep=1; shift ;;
	--env) env=1; shift ;;
	--socket-limit) socket_limit=$2; shift 2 ;;
	--p1-group) p1_group=$2 p1_devargs=net_spapr_model1,group=$2; shift 2 ;;
	*) echo "run-ovs.sh: unknown argument '$1'" >&2; exit 1 ;;
	esac
done

# Debian's DPDK build of ovs-vswitchd (openvswitch-switch-dpdk) is not the
# default alternative of /usr/sbin/ovs-vswitchd: call it by its own path.
vswitchd=${SPAPR_OVS_VSWITCHD:-/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk}
schema=/usr/share/openvswitch/vswitch.ovsschema
[ -x "$vswitchd" ] || { echo "SKIP: $vswitchd not found (apt-get install openvswitch-switch-dpdk)"; exit 77; }
for t in ovsdb-tool ovsdb-server ovs-vsctl ovs-ofctl ovs-appctl python3 unshare; do
	command -v "$t" >/dev/null || { echo "SKIP: $t not found (apt-get install openvswitch-switch-dpdk python3)"; exit 77; }
done
[ -f "$schema" ] || { echo "SKIP: $schema not found (apt-get install openvswitch-common)"; exit 77; }
huge=/dev/hugepages-spapr-test
. "$here/../lib/hugepages.sh"
# OVS: --socket-mem 64 at init and room to grow to --socket-limit 128 (its
# shared mbuf pool is allocated after init, memory events for the plugin).
test_hugepages_or_skip "$huge" 72

# A build tree under a world-writable path (/tmp) cannot be loaded with -d.
. "$here/../../apps/lib/dpdk-plugin-path.sh"
dpdk_plugin_paths "$plugin" "$pmd" || exit 1
plugin=${DPDK_PLUGIN_PATHS[0]} pmd=${DPDK_PLUGIN_PATHS[1]}

dir=$(mktemp -d /tmp/spapr-ovs.XXXXXX) || exit 1
prefix=spapr-ovs-$$
export OVS_RUNDIR=$dir OVS_DBDIR=$dir OVS_LOGDIR=$dir OVS_SYSCONFDIR=$dir
db=unix:$dir/db.sock
ctl=$dir/ovs-vswitchd.ctl
log=$dir/ovs-vswitchd.log
vsctl() { ovs-vsctl --db="$db" --timeout=30 "$@"; }

# Running: kill -0 also succeeds for a zombie, and a detached daemon that
# exited stays one until whoever adopted it reaps it.
alive() { [ -r "/proc/$1/status" ] && ! grep -q '^State:.*Z' "/proc/$1/status"; }
# Stop a daemon by its pidfile (only the process we started), wait for it.
stop_daemon() {
	local pidfile=$1 pid
	[ -s "$pidfile" ] || return 0
	pid=$(cat "$pidfile")
	alive "$pid" || return 0
	kill "$pid" 2>/dev/null
	for _ in $(seq 1 50); do alive "$pid" || return 0; sleep 0.1; done
	kill -9 "$pid" 2>/dev/null
}
cleanup() {
	stop_daemon "$dir/ovs-vswitchd.pid"
	stop_daemon "$dir/ovsdb-server.pid"
	rm -rf "/var/run/dpdk/$prefix"
	dpdk_plugin_cleanup
	if [ "$keep" = 1 ]; then echo "kept: $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT

fail=0
bad() { echo "FAIL: $*"; fail=1; }
die_log() {
	echo "FAIL: $*"
	[ -f "$log" ] && { echo "--- last lines of $log"; tail -n 30 "$log"; }
	exit 1
}

ovsdb-tool create "$dir/conf.db" "$schema" || die_log "ovsdb-tool create"
ovsdb-server "$dir/conf.db" --detach --no-chdir --pidfile="$dir/ovsdb-server.pid" \
	--log-file="$dir/ovsdb-server.log" -vconsole:off --remote="punix:$dir/db.sock" \
	--unixctl="$dir/ovsdb-server.ctl" || die_log "ovsdb-server did not start"
vsctl --no-wait init || die_log "ovs-vsctl init"
extra="--no-pci --file-prefix $prefix --huge-dir $huge -d $plugin -d $pmd"
opts=backend=model,profile=$profile
if [ "$env" = 1 ]; then
	export SPAPR_DPDK_OPTS=$opts
else
	unset SPAPR_DPDK_OPTS
	extra="$extra -a bus=spapr,$opts"
fi
limit=()
[ "$socket_limit" = none ] || limit=("other_config:dpdk-socket-limit=$socket_limit")
vsctl --no-wait set Open_vSwitch . other_config:dpdk-init=true \
	other_config:dpdk-socket-mem=64 "${limit[@]}" \
	"other_config:dpdk-extra=$extra" || die_log "ovs-vsctl set other_config"
# In a network namespace of its own: the netdev datapath makes persistent
# tap devices (ovs-netdev, br0) that would stay on the machine after the
# run and collide with another vswitchd's; they go with the namespace.
unshare --net "$vswitchd" "$db" --detach --no-chdir --pidfile="$dir/ovs-vswitchd.pid" \
	--log-file="$log" -vconsole:off --unixctl="$ctl" || die_log "ovs-vswitchd did not start"

vsctl add-br br0 -- set bridge br0 datapath_type=netdev || die_log "add-br br0"
vsctl add-port br0 p0 -- set Interface p0 type=dpdk options:dpdk-devargs=net_spapr_model0 \
	-- add-port br0 p1 -- set Interface p1 type=dpdk "options:dpdk-devargs=$p1_devargs" ||
	die_log "add-port p0, p1"
for p in p0 p1; do
	err=$(vsctl get interface "$p" error)
	[ "$err" = "[]" ] || die_log "interface $p: $err"
done
ovs-ofctl del-flows br0 &&
	ovs-ofctl add-flow br0 in_port=p0,actions=output:p1 &&
	ovs-ofctl add-flow br0 in_port=p1,actions=output:p0 || die_log "ovs-ofctl add-flow"
sleep "$seconds"

ovs_version=$(ovs-vsctl --version | awk 'NR == 1 { print $NF }')
dpdk_version=$(sed -n 's/.*Using DPDK \([0-9.]*\).*/\1/p' "$log" | head -n 1)
echo "== Open vSwitch $ovs_version, DPDK $dpdk_version, profile $profile, options from $([ $env = 1 ] && echo SPAPR_DPDK_OPTS || echo dpdk-extra)"
grep -m 1 "EAL ARGS:" "$log" | sed 's/^.*|INFO|/  /'
echo "== plan (ovs-vswitchd log)"
grep -E "spapr: (plan|DMA set up|IOMMU group [0-9]+( joined|: plan))" "$log" | sed 's/^.*|dpdk[^|]*|INFO|/  /'
plan=$(grep -m 1 "spapr: plan: container 0" "$log")
case "$plan" in
*" direct window "*) mode=direct ;;
*" indirect"*) mode=indirect ;;
*) mode=none; bad "no plan line from the plugin in the vswitchd log" ;;
esac
# p1's group joined the DMA set-up when OVS added p1.
if [ -n "$p1_group" ] && ! grep -qE "spapr: IOMMU group $p1_group( joined container|: plan: container)" "$log"; then
	bad "no line of the plugin setting up IOMMU group $p1_group when p1 was added"
fi

echo "== ovs-ofctl dump-ports br0"
ports=$(ovs-ofctl dump-ports br0) || die_log "ovs-ofctl dump-ports"
echo "$ports" | sed 's/^/  /'
# rx/tx packets and errors of OpenFlow port N.
port_field() {
	echo "$ports" | awk -v p="$1" -v dir="$2" -v f="$3" '
		$1 == "port" { cur = $2; sub(":", "", cur); rx = 1 }
		cur == p {
			line = $0; if ($1 != "port") rx = ($1 == "rx")
			if ((dir == "rx") == rx && match(line, f "=[0-9]+")) {
				print substr(line, RSTART + length(f) + 1, RLENGTH - length(f) - 1); exit }
		}'
}
declare -A counts
for p in p0 p1; do
	ofport=$(vsctl get interface "$p" ofport)
	for d in rx tx; do
		n=$(port_field "$ofport" "$d" pkts)
		e=$(port_field "$ofport" "$d" errs)
		counts[$p.$d]=${n:-0}
		[ "${n:-0}" -gt 0 ] || bad "$p: no $d packets in dump-ports"
		[ "${e:-1}" = 0 ] || bad "$p: $d errs=${e:-?} in dump-ports"
	done
done

echo "== model NIC xstats (DPDK telemetry /ethdev/xstats)"
sock=/var/run/dpdk/$prefix/dpdk_telemetry.v2
checks=0 faults=0
for p in p0 p1; do
	port_no=$(vsctl get interface "$p" status:port_no | tr -d '"')
	x=$(python3 "$here/telemetry-query.py" "$sock" "/ethdev/xstats,$port_no") ||
		{ bad "telemetry of $p (port $port_no) not readable"; continue; }
	for k in dma_checks dma_faults dma_frozen_rejects pe_state pe_faults; do
		v=$(echo "$x" | tr ' ' '\n' | sed -n "s/^$k=//p")
		echo "  $p (port $port_no) $k: ${v:-missing}"
		case $k in
		dma_checks) [ "${v:-0}" -gt 0 ] || bad "$p: dma_checks ${v:-missing}"; checks=$((checks + ${v:-0})) ;;
		dma_faults | dma_frozen_rejects | pe_state | pe_faults)
			[ "${v:-x}" = 0 ] || bad "$p: $k ${v:-missing}"
			[ $k = dma_faults ] && faults=$((faults + ${v:-0})) ;;
		esac
	done
done

echo "== ovs-vsctl get interface ... statistics (errors)"
for p in p0 p1; do
	s=$(vsctl get interface "$p" statistics)
	echo "  $p: $(echo "$s" | tr -d '{}' | tr ',' '\n' | grep -E 'errors|dropped' | tr -d ' ' | paste -sd' ')"
	for k in rx_errors tx_errors host_ioctl_errors; do
		v=$(echo "$s" | tr -d '{} ' | tr ',' '\n' | sed -n "s/^$k=//p")
		[ "${v:-0}" = 0 ] || bad "$p: statistics $k=$v"
	done
done

# Stop vswitchd: the ports are detached and the PMD logs the PE totals.
ovs-appctl -t "$ctl" exit >/dev/null 2>&1 || bad "ovs-appctl exit"
pid=$(cat "$dir/ovs-vswitchd.pid" 2>/dev/null)
for _ in $(seq 1 100); do
	alive "${pid:-0}" || break
	sleep 0.1
done
echo "== at exit (net_spapr_model)"
grep -E "net_spapr_model: (PE [0-9]+:|host kernel operations)" "$log" | sed 's/^.*|dpdk[^|]*|INFO|/  /'
grep -qE "net_spapr_model: PE [0-9]+: [0-9]+ DMA checks, [0-9]+ bytes, 0 faults" "$log" ||
	bad "no 'PE N: ... 0 faults' line from the PMD at exit"
if grep -E "spapr: .*(cannot|failed|left behind|refus)" "$log"; then
	bad "the plugin reported a failure (above)"
fi
[ $fail = 0 ] || { echo "--- last lines of $log"; tail -n 20 "$log"; }
echo "ovs: ovs=$ovs_version dpdk=$dpdk_version profile=$profile mode=$mode p1_devargs=$p1_devargs" \
	"p0=${counts[p0.rx]}/${counts[p0.tx]} p1=${counts[p1.rx]}/${counts[p1.tx]}" \
	"dma_checks=$checks dma_faults=$faults"
exit $fail
