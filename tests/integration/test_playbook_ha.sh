#!/usr/bin/env bash
# playbooks/site.yml with the example HA inventory (playbooks/inventory-ha), both
# target nodes on the controller, each against its own emulator: the playbook
# parses, check mode writes nothing, the apply gives each volume the same
# identity on both nodes and the same ALUA layout, the second run changes nothing,
# and nodes that disagree (volume id, ALUA state) stop in the preflight, naming
# the volume and the hosts, before any write. The initiator side needs real hosts.
set -euo pipefail
# shellcheck source=tests/integration/files/emulator.bash
. tests/integration/files/emulator.bash
# node-a uses EMU_ROOT (emulator.bash); node-b a second emulator
NODE_B_ROOT="$TEST_TMPDIR/scst_tgt_b"
NODE_B_CTL="$TEST_TMPDIR/emulator_b.sock"
mkdir -p "$NODE_B_ROOT" "$TEST_TMPDIR/node-a" "$TEST_TMPDIR/node-b"
trap 'python -m scst_emulator umount "$NODE_B_ROOT" >/dev/null 2>&1 || true; emu_stop' EXIT
python -m scst_emulator mount "$NODE_B_ROOT" --control "$NODE_B_CTL" --log "$TEST_TMPDIR/emulator_b.log"
test -d "$NODE_B_ROOT/handlers" || { echo "second emulator did not mount at $NODE_B_ROOT"; exit 1; }
export NODE_B_ROOT TEST_TMPDIR
INV=(-i playbooks/inventory-ha -i tests/integration/playbook_ha/local.yml)
run() { ansible-playbook "${INV[@]}" playbooks/site.yml --limit san_ha_nodes "$@"; }
recap() { sed -n "s/.*$2 *: ok=[0-9]* *changed=\([0-9]*\) .*failed=\([0-9]*\).*/\1 \2/p" "$1"; }
writes() { python -m scst_emulator ctl "$1" counters | python -c 'import json,sys; print(json.load(sys.stdin)["writes"])'; }
attr() { head -n 1 "$1/devices/$2/$3"; }

ansible-playbook -i playbooks/inventory-ha playbooks/site.yml --syntax-check >"$TEST_TMPDIR/syntax.out"
echo "syntax check: ok"

emu_ctl reset-counters >/dev/null
python -m scst_emulator ctl "$NODE_B_CTL" reset-counters >/dev/null
run --check --diff -vvv >"$TEST_TMPDIR/check.out"
echo "check: node-a $(recap "$TEST_TMPDIR/check.out" node-a), node-b $(recap "$TEST_TMPDIR/check.out" node-b)," \
     "writes $(writes "$EMU_CTL") + $(writes "$NODE_B_CTL")"
[ "$(writes "$EMU_CTL")" = 0 ]
[ "$(writes "$NODE_B_CTL")" = 0 ]
grep -q 'The nodes of scst_target_ha_group agree' "$TEST_TMPDIR/check.out"

run >"$TEST_TMPDIR/apply.out"
for node in node-a node-b; do
    [ "$(recap "$TEST_TMPDIR/apply.out" $node | cut -d' ' -f2)" = 0 ]
done
# one device per volume for the initiators: the same identity on both nodes,
# the one the filter derives from the volume id
for volume in data0 data1; do
    for name in t10_dev_id usn vend_specific_id naa_id eui64_id; do
        a=$(attr "$EMU_ROOT" $volume $name)
        b=$(attr "$NODE_B_ROOT" $volume $name)
        if [ -z "$a" ] || [ "$a" != "$b" ]; then echo "$volume $name: node-a '$a', node-b '$b'"; exit 1; fi
    done
done
expected=$(python -c 'from ansible_collections.scst.iscsi.plugins.filter.scst_identity import volume_identity
print(volume_identity("san-ha-data0")["naa_id"])')
[ "$(attr "$EMU_ROOT" data0 naa_id)" = "$expected" ]
# ALUA: node-a's own target a local member, node-b's a remote one with its rel_tgt_id
dg=device_groups/san_ha_data/target_groups
[ -L "$EMU_ROOT/$dg/node_a/iqn.2026-11.com.example.san:node-a.data" ]
[ "$(head -n 1 "$EMU_ROOT/$dg/node_a/state")" = active ]
[ "$(head -n 1 "$EMU_ROOT/$dg/node_b/iqn.2026-11.com.example.san:node-b.data/rel_tgt_id")" = 2 ]
[ "$(head -n 1 "$NODE_B_ROOT/$dg/node_b/state")" = standby ]
[ "$(head -n 1 "$NODE_B_ROOT/$dg/node_a/iqn.2026-11.com.example.san:node-a.data/rel_tgt_id")" = 1 ]
[ "$(head -n 1 "$NODE_B_ROOT/targets/iscsi/iqn.2026-11.com.example.san:node-b.data/rel_tgt_id")" = 2 ]
echo "apply: the same identity for data0 and data1 on both nodes, ALUA layout in place"

emu_ctl reset-counters >/dev/null
python -m scst_emulator ctl "$NODE_B_CTL" reset-counters >/dev/null
run >"$TEST_TMPDIR/again.out"
[ "$(recap "$TEST_TMPDIR/again.out" node-a)" = "0 0" ]
[ "$(recap "$TEST_TMPDIR/again.out" node-b)" = "0 0" ]
[ "$(writes "$EMU_CTL")" = 0 ]
[ "$(writes "$NODE_B_CTL")" = 0 ]
echo "again: nothing to do"

# the failover runbook playbooks/ha-switch.yml: check mode predicts and writes
# nothing; the switch moves the active group to node-b on both nodes and saves
# /etc/scst.conf; site.yml with the same san_ha_active_node then agrees (no
# change); a node outside the pair is refused before any write; and back.
state() { head -n 1 "$1/$dg/$2/state"; }
switch() { ansible-playbook "${INV[@]}" playbooks/ha-switch.yml --limit san_ha_nodes "$@"; }
switch -e san_ha_active_node=node-b -e san_ha_demoted_state=unavailable --check >"$TEST_TMPDIR/switch-check.out"
[ "$(writes "$EMU_CTL")" = 0 ]
[ "$(writes "$NODE_B_CTL")" = 0 ]
switch -e san_ha_active_node=node-b -e san_ha_demoted_state=unavailable >"$TEST_TMPDIR/switch.out"
# (set -e does not stop at a false test before &&: one test per line)
for node in node-a node-b; do
    predicted=$(recap "$TEST_TMPDIR/switch-check.out" $node)
    [ "$predicted" = "2 0" ]
    [ "$(recap "$TEST_TMPDIR/switch.out" $node)" = "$predicted" ]
done
for root in "$EMU_ROOT" "$NODE_B_ROOT"; do
    [ "$(state "$root" node_b)" = active ]
    [ "$(state "$root" node_a)" = unavailable ]
done
for node in node-a node-b; do
    grep -A3 'TARGET_GROUP node_b' "$TEST_TMPDIR/$node/scst.conf" | grep -q 'state active'
    grep -A3 'TARGET_GROUP node_a' "$TEST_TMPDIR/$node/scst.conf" | grep -q 'state unavailable'
done
echo "switch to node-b: check mode predicted $(recap "$TEST_TMPDIR/switch-check.out" node-a) (changed failed)" \
     "per node with 0 writes; states moved on both nodes and saved"
if switch -e san_ha_active_node=node-c >"$TEST_TMPDIR/switch-bad.out"; then
    echo "switch to a node outside the pair accepted"; exit 1
fi
grep -q 'san_ha_active_node must name a host of san_ha_nodes (node-a, node-b)' "$TEST_TMPDIR/switch-bad.out"
emu_ctl reset-counters >/dev/null
python -m scst_emulator ctl "$NODE_B_CTL" reset-counters >/dev/null
switch -e san_ha_active_node=node-b -e san_ha_demoted_state=unavailable >"$TEST_TMPDIR/switch-again.out"
for node in node-a node-b; do
    [ "$(recap "$TEST_TMPDIR/switch-again.out" $node)" = "0 0" ]
done
[ "$(writes "$EMU_CTL")" = 0 ]
[ "$(writes "$NODE_B_CTL")" = 0 ]
switch -e san_ha_active_node=node-a >"$TEST_TMPDIR/switch-back.out"
for root in "$EMU_ROOT" "$NODE_B_ROOT"; do
    [ "$(state "$root" node_a)" = active ]
    [ "$(state "$root" node_b)" = standby ]
done
run >"$TEST_TMPDIR/after-switch.out"
for node in node-a node-b; do
    [ "$(recap "$TEST_TMPDIR/after-switch.out" $node)" = "0 0" ]
done
echo "switch again: nothing to do; back to node-a: site.yml agrees (no change)"
emu_ctl reset-counters >/dev/null
python -m scst_emulator ctl "$NODE_B_CTL" reset-counters >/dev/null

# nodes that disagree stop in the preflight, on every node, nothing written; with
# --limit node-a the peer outside the run is compared from its inventory
for limit in san_ha_nodes node-a; do
    if ansible-playbook "${INV[@]}" -i tests/integration/playbook_ha/mismatch.yml playbooks/site.yml \
            --limit $limit >"$TEST_TMPDIR/mismatch-$limit.out"; then
        echo "disagreeing nodes accepted (--limit $limit)"; exit 1
    fi
    grep -q 'volume data1: volume_id differs: san-ha-data1 on node-a; san-ha-other on node-b' \
        "$TEST_TMPDIR/mismatch-$limit.out"
    grep -q 'target group san_ha_data/node_a: state differs: active on node-a; standby on node-b' \
        "$TEST_TMPDIR/mismatch-$limit.out"
done
[ "$(writes "$EMU_CTL")" = 0 ]
[ "$(writes "$NODE_B_CTL")" = 0 ]
# a bad volume id: the field and the rule
if run -e '{"san_ha_volumes": {"data0": "san-ha-data0", "data1": "../x"}}' >"$TEST_TMPDIR/badid.out"; then
    echo "bad volume id accepted"; exit 1
fi
grep -q 'scst_target_volumes.data1: the volume id must be 1 to 64 ASCII letters' "$TEST_TMPDIR/badid.out"
[ "$(writes "$EMU_CTL")" = 0 ]
[ "$(writes "$NODE_B_CTL")" = 0 ]
echo "preflight refusals: volume and hosts named, 0 writes"

sed -n 's/^vault_[a-z_]*: *//p' playbooks/inventory-ha/group_vars/all/vault.yml >"$TEST_TMPDIR/secrets"
[ "$(wc -l <"$TEST_TMPDIR/secrets")" = 2 ]
while read -r secret; do
    if grep -l -- "$secret" "$TEST_TMPDIR"/*.out; then
        echo "secret $secret leaked into the output above"; exit 1
    fi
done <"$TEST_TMPDIR/secrets"
echo "no secret in any output"
