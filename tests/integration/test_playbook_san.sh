#!/usr/bin/env bash
# A SAN playbook against the FUSE-mounted emulator: check mode writes nothing
# and predicts the real run, the second run changes nothing, secrets never reach
# -vvv output or diffs, bad requests fail cleanly, safe mode holds with a session.
set -euo pipefail
# shellcheck source=tests/integration/files/emulator.bash
. tests/integration/files/emulator.bash
export SAN_CHAP_PASSWORD=Chap-Secret-One-4711
export SAN_MUTUAL_PASSWORD=Mutual-Secret-Two-0815
export SAN_SHORT_PASSWORD=Tiny-0042
PB=tests/integration/san

recap_changed() { sed -n 's/.*localhost *: ok=[0-9]* *changed=\([0-9]*\).*/\1/p' "$1"; }
writes() { emu_ctl counters | python -c 'import json,sys; print(json.load(sys.stdin)["writes"])'; }

emu_ctl reset-counters >/dev/null
ansible-playbook "$PB/site.yml" --check --diff >"$TEST_TMPDIR/check.out"
echo "check run: changed=$(recap_changed "$TEST_TMPDIR/check.out"), writes=$(writes)"
[ "$(writes)" = 0 ]
[ "$(recap_changed "$TEST_TMPDIR/check.out")" -gt 0 ]

ansible-playbook "$PB/site.yml" --diff -vvv >"$TEST_TMPDIR/apply.out"
first=$(writes)
echo "first run: changed=$(recap_changed "$TEST_TMPDIR/apply.out"), writes=$first"
[ "$first" -gt 10 ]

emu_ctl reset-counters >/dev/null
ansible-playbook "$PB/site.yml" --diff -vvv >"$TEST_TMPDIR/again.out"
echo "second run: changed=$(recap_changed "$TEST_TMPDIR/again.out"), writes=$(writes)"
[ "$(recap_changed "$TEST_TMPDIR/again.out")" = 0 ]
[ "$(writes)" = 0 ]

ansible-playbook "$PB/site.yml" --check >"$TEST_TMPDIR/again-check.out"
[ "$(recap_changed "$TEST_TMPDIR/again-check.out")" = 0 ]

# a changed secret is applied, shown only masked
SAN_CHAP_PASSWORD=Chap-Secret-New-9999 ansible-playbook "$PB/site.yml" --diff -vvv >"$TEST_TMPDIR/rotate.out"
grep -q 'host1 \*\*\*\*\*\*\*\*' "$TEST_TMPDIR/rotate.out"
[ "$(recap_changed "$TEST_TMPDIR/rotate.out")" = 2 ]

# the secrets are in the emulator (0600 files) but in no output
grep -q "Chap-Secret-New-9999" "$EMU_ROOT/targets/iscsi/iqn.2026-11.com.example:storage.tgt1/IncomingUser"
for secret in "$SAN_CHAP_PASSWORD" "$SAN_MUTUAL_PASSWORD" Chap-Secret-New-9999 "$SAN_SHORT_PASSWORD"; do
    if grep -l -- "$secret" "$TEST_TMPDIR"/*.out; then
        echo "secret leaked into the output above"; exit 1
    fi
done

# refused requests: clear errors, nothing written
emu_ctl add-session iscsi iqn.2026-11.com.example:storage.tgt1 iqn.2026-11.com.example:host1 >/dev/null
emu_ctl reset-counters >/dev/null
ansible-playbook "$PB/negative.yml" -vvv >"$TEST_TMPDIR/negative.out"
[ "$(writes)" = 0 ]
if grep -l -- "$SAN_SHORT_PASSWORD" "$TEST_TMPDIR/negative.out"; then
    echo "rejected secret echoed"; exit 1
fi
echo "negative cases: refused with clear messages, 0 writes"

# with force, the target goes (sessions closed first)
ansible localhost -c local -m scst_target \
    -a "name=iqn.2026-11.com.example:storage.tgt1 state=absent force=true sysfs_root=$EMU_ROOT" >"$TEST_TMPDIR/force.out"
grep -q "CHANGED" "$TEST_TMPDIR/force.out"
[ ! -e "$EMU_ROOT/targets/iscsi/iqn.2026-11.com.example:storage.tgt1" ]
echo "forced delete: ok"
