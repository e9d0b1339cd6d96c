#!/usr/bin/env bash
# playbooks/site.yml with the example SAN inventory, target side only, on the
# controller against the FUSE-mounted emulator: check mode writes nothing, the
# apply saves scst.conf 0600, the second run changes nothing, the preflight
# stops bad requests before any write, no secret reaches -vvv output.
set -euo pipefail
# shellcheck source=tests/integration/files/emulator.bash
. tests/integration/files/emulator.bash
mkdir -p "$TEST_TMPDIR/etc"
export TEST_TMPDIR
run() {
    ansible-playbook -i playbooks/inventory -i tests/integration/scst_target_role/local.yml \
        playbooks/site.yml --limit target1 "$@"
}
recap() { sed -n "s/.*target1 *: ok=[0-9]* *changed=\([0-9]*\) .*failed=\([0-9]*\).*/\1 \2/p" "$1"; }
writes() { emu_ctl counters | python -c 'import json,sys; print(json.load(sys.stdin)["writes"])'; }
secrets=$(sed -n 's/^vault_[a-z_]*: *//p' playbooks/inventory/group_vars/all/vault.yml)

emu_ctl reset-counters >/dev/null
run --check --diff -vvv >"$TEST_TMPDIR/check.out"
echo "check: changed/failed $(recap "$TEST_TMPDIR/check.out"), writes $(writes)"
[ "$(writes)" = 0 ]
[ ! -e "$TEST_TMPDIR/etc/scst.conf" ]
grep -q '"create iscsi target iqn.2026-11.com.example.san:target1.db"' "$TEST_TMPDIR/check.out"

run -vvv >"$TEST_TMPDIR/apply.out"
echo "apply: changed/failed $(recap "$TEST_TMPDIR/apply.out"), writes $(writes)"
[ "$(recap "$TEST_TMPDIR/apply.out" | cut -d' ' -f2)" = 0 ]
[ "$(stat -c %a "$TEST_TMPDIR/etc/scst.conf")" = 600 ]
grep -q '^	TARGET iqn.2026-11.com.example.san:target1.files {' "$TEST_TMPDIR/etc/scst.conf"
[ -d "$EMU_ROOT/targets/iscsi/iqn.2026-11.com.example.san:target1.db/ini_groups/initiator1" ]

emu_ctl reset-counters >/dev/null
run >"$TEST_TMPDIR/again.out"
echo "again: changed/failed $(recap "$TEST_TMPDIR/again.out"), writes $(writes)"
[ "$(recap "$TEST_TMPDIR/again.out")" = "0 0" ]
[ "$(writes)" = 0 ]

# the restore command the role installed finds the saved file applied: nothing to do
"$TEST_TMPDIR/usr-local/sbin/scst-iscsi-restore" --config "$TEST_TMPDIR/etc/scst.conf" \
    --sysfs-root "$EMU_ROOT" --check >"$TEST_TMPDIR/restore.out"
grep -qx "0 write(s) planned from $TEST_TMPDIR/etc/scst.conf" "$TEST_TMPDIR/restore.out"

# purge (given as a string on the command line) finds nothing to remove
run -e scst_target_purge=true >"$TEST_TMPDIR/purge.out"
[ "$(recap "$TEST_TMPDIR/purge.out")" = "0 0" ]
[ "$(writes)" = 0 ]

# preflight: a missing secret and a stopped iscsi-scstd stop the run, nothing written
emu_ctl reset-counters >/dev/null
if run -e vault_san_db_secret= -vvv >"$TEST_TMPDIR/nosecret.out"; then echo "missing secret accepted"; exit 1; fi
grep -q 'targets.iqn.2026-11.com.example.san:target1.db.chap.incoming\[0\].password: is required.* (is the vault loaded?)' \
    "$TEST_TMPDIR/nosecret.out"
if run -e '{"san_target_db": {"enabled": true, "lunz": {}}}' >"$TEST_TMPDIR/shape.out"; then
    echo "unknown target key accepted"; exit 1
fi
grep -q 'drivers.iscsi.targets.iqn.2026-11.com.example.san:target1.db: unknown key lunz' "$TEST_TMPDIR/shape.out"
if run -e '{"scst_target_config": {"handlers": {"vdisk_nothere": {"devices": {}}}}}' >"$TEST_TMPDIR/handler.out"; then
    echo "missing handler accepted"; exit 1
fi
grep -q 'not loaded on target1: handler vdisk_nothere' "$TEST_TMPDIR/handler.out"
emu_ctl daemon-stop off >/dev/null
if run >"$TEST_TMPDIR/nodaemon.out"; then echo "stopped iscsi-scstd accepted"; exit 1; fi
grep -q 'iscsi-scstd is not running on target1' "$TEST_TMPDIR/nodaemon.out"
emu_ctl daemon-start >/dev/null
[ "$(writes)" = 0 ]
echo "preflight refusals: clear messages, 0 writes"

# a bad value stops the preflight (scst_config validate_only), naming the field
if run -e '{"san_target_files": {"chap": {"incoming": [{"username": "a b", "password": "Leak-Me-0000-1"}]}}}' \
        -vvv >"$TEST_TMPDIR/refused.out"; then
    echo "bad user name accepted"; exit 1
fi
grep -q 'The configuration is one scst_config takes' "$TEST_TMPDIR/refused.out"
grep -q 'chap.incoming\[0\].username' "$TEST_TMPDIR/refused.out"
# a refusal of the module itself (known only against the host) comes through, masked
if run -e '{"san_target_files": {"chap": {"incoming": [{"username": "leaky", "password": "Leak-Me-0000-1"}]},
                                 "luns": {"0": {"device": "ghost"}}}}' -vvv >"$TEST_TMPDIR/ghost.out"; then
    echo "unknown device accepted"; exit 1
fi
grep -q 'Stop when SCST refused the configuration' "$TEST_TMPDIR/ghost.out"
grep -q 'luns.0.device: device ghost is neither declared' "$TEST_TMPDIR/ghost.out"

for secret in $secrets Leak-Me-0000-1; do
    if grep -l -- "$secret" "$TEST_TMPDIR"/*.out; then
        echo "secret $secret leaked into the output above"; exit 1
    fi
done
echo "no secret in any output"
