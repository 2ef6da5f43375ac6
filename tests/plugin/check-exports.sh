#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# check-exports.sh PLUGIN VERSION_MAP HEADER... - the plugin exports exactly
# the names VERSION_MAP lists (no more, no fewer, all under its version node),
# the list has no wildcard, and every listed name is declared in one of the
# public HEADERs. Anything else a DPDK application would find in its global
# namespace fails the test, named.
set -u
plugin=$1
map=$2
shift 2
headers=("$@")

command -v nm >/dev/null || { echo "SKIP: nm not installed (apt-get install binutils)"; exit 77; }
[ -r "$plugin" ] || { echo "FAIL: $plugin: not readable"; exit 1; }

fail=0
problem() {
	echo "FAIL: $*"
	fail=1
}

# The map without comments, one token a line.
tokens=$(perl -0777 -pe 's{/\*.*?\*/}{}gs' "$map" | tr -s ' \t{};' '\n')
node=$(printf '%s\n' "$tokens" | grep -v '^$' | head -n1)
listed=$(printf '%s\n' "$tokens" |
	awk '/^global:$/ { on = 1; next } /^local:$/ { on = 0; next } on && NF' | sort)
local_all=$(printf '%s\n' "$tokens" | awk '/^local:$/ { getline; print }')
[ "$local_all" = '*' ] || problem "$map: no 'local: *;': names not listed would be exported"
if printf '%s\n' "$listed" | grep -q '[*?[]'; then
	problem "$map: wildcard in the global list: $(printf '%s\n' "$listed" | grep '[*?[]' | tr '\n' ' ')"
fi

# Defined dynamic symbols, without the version node itself (type A).
nm_out=$(nm -D --defined-only "$plugin") || { echo "FAIL: nm -D $plugin"; exit 1; }
exported=$(printf '%s\n' "$nm_out" | awk '$2 != "A" { print $3 }' | sort)
names=$(printf '%s\n' "$exported" | sed 's/@.*//' | sort)

unexpected=$(comm -23 <(printf '%s\n' "$names") <(printf '%s\n' "$listed"))
missing=$(comm -13 <(printf '%s\n' "$names") <(printf '%s\n' "$listed"))
unversioned=$(printf '%s\n' "$exported" | grep -v "@@$node\$")
for s in $unexpected; do
	problem "${plugin##*/} exports '$s', which ${map##*/} does not list (make it static, or list it there and declare it in a public header)"
done
for s in $missing; do
	problem "${map##*/} lists '$s' but ${plugin##*/} does not export it (renamed or removed?)"
done
for s in $unversioned; do
	problem "'$s' is not under version node $node: was ${map##*/} given to the linker?"
done
for s in $listed; do
	grep -qE "\\b$s\\(" "${headers[@]}" ||
		problem "'$s' is exported but declared in none of the public headers ${headers[*]##*/}"
done

echo "${plugin##*/}: $(printf '%s\n' "$names" | grep -c .) names exported under $node," \
	"$(printf '%s\n' "$listed" | grep -c .) listed in ${map##*/}"
[ "$fail" = 0 ] && echo "PASS"
exit "$fail"
