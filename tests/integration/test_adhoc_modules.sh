#!/usr/bin/env bash
# Every SCST module run ad hoc (`ansible localhost -m scst_...`, short names
# resolved from the repository root) against the emulator mounted over FUSE:
# create, modify and delete, each run four times (check, real, idempotent,
# idempotent in check mode), with the emulator's own write log as the witness.
set -euo pipefail
# shellcheck source=tests/integration/files/emulator.bash
. tests/integration/files/emulator.bash
export SCST_SYSFS_ROOT="$EMU_ROOT"
F=tests/integration/files
T=iqn.2026-11.com.example:storage.tgt1
PW1=first-secret-123
PW2=second-secret-456

step() { python "$F/four_runs.py" "$EMU_CTL" "$@"; }

step scst_device '{"name": "disk1", "handler": "vdisk_fileio", "filename": "/srv/disk1.img", "attributes": {"nv_cache": true}}'
step scst_device '{"name": "disk1", "handler": "vdisk_fileio", "filename": "/srv/disk1.img", "attributes": {"nv_cache": true, "prod_id": "DISK1"}}'
step scst_device '{"name": "null1", "handler": "vdisk_nullio", "attributes": {"size_mb": 512}}'
# online resize: a real file the emulator is told about (same path, same size);
# grown, the device takes the new size with one resync_size write
GROW="$TEST_TMPDIR/grow.img"
truncate --size 16M "$GROW"
emu_ctl backing "$GROW" $((16 << 20)) file >/dev/null
step scst_device "{\"name\": \"grow1\", \"handler\": \"vdisk_fileio\", \"filename\": \"$GROW\"}"
truncate --size 32M "$GROW"
emu_ctl backing "$GROW" $((32 << 20)) file >/dev/null
step scst_device "{\"name\": \"grow1\", \"handler\": \"vdisk_fileio\", \"filename\": \"$GROW\", \"attributes\": {\"size_mb\": 32}}"
test "$(head -n1 "$EMU_ROOT/devices/grow1/size")" = $((32 << 20))
python "$F/adhoc.py" scst_device "{\"name\": \"grow1\", \"handler\": \"vdisk_fileio\", \"filename\": \"$GROW\", \"attributes\": {\"size_mb\": 16}}" \
    >"$TEST_TMPDIR/shrink.json" || true
python - "$TEST_TMPDIR/shrink.json" <<'PY'
import json, sys
result = json.load(open(sys.argv[1]))
assert result["msg"].startswith("attributes.size_mb: 16777216 bytes is less than the device's current size"), result
assert not result.get("changed"), result
print("ok scst_device refuses to shrink")
PY
step scst_device '{"name": "grow1", "handler": "vdisk_fileio", "state": "absent"}'
step scst_device '{"name": "blk1", "handler": "vdisk_blockio", "filename": "/dev/vdb"}'
step scst_device '{"name": "blk1", "handler": "vdisk_blockio", "filename": "/dev/vdc"}'
step scst_target "{\"name\": \"$T\", \"attributes\": {\"HeaderDigest\": \"CRC32C,None\"}, \"allowed_portals\": [\"192.168.77.10\"]}"
step scst_target "{\"name\": \"$T\", \"attributes\": {\"QueuedCommands\": 64}}"
# SCST answers EAGAIN while a command is still running: the module polls
# last_sysfs_mgmt_res through real file I/O until the result is there
emu_ctl eagain 1 3 >/dev/null
step scst_lun "{\"target\": \"$T\", \"lun\": 0, \"device\": \"disk1\"}"
step scst_lun "{\"target\": \"$T\", \"lun\": 0, \"device\": \"blk1\", \"read_only\": true}"
step scst_group "{\"target\": \"$T\", \"name\": \"host1\", \"initiators\": [\"iqn.2026-11.com.example:host1\"], \"luns\": [{\"lun\": 0, \"device\": \"null1\"}]}"
step scst_chap "{\"target\": \"$T\", \"username\": \"host1\", \"password\": \"$PW1\"}"
step scst_chap "{\"target\": \"$T\", \"username\": \"host1\", \"password\": \"$PW2\"}"
step scst_chap "{\"target\": \"$T\", \"direction\": \"outgoing\", \"username\": \"tgt1\", \"password\": \"$PW1\"}"
step scst_chap "{\"username\": \"discovery\", \"password\": \"$PW1\"}"
step scst_driver '{"enabled": true}'
step scst_target "{\"name\": \"$T\", \"enabled\": true}"
# ALUA: a device group with this node's target group and the peer's, made
# through the mount as scst_config would; scst_alua switches one group's state
DG="$EMU_ROOT/device_groups"
printf 'create vols\n' >"$DG/mgmt"
printf 'add disk1\n' >"$DG/vols/devices/mgmt"
printf 'create node_a\n' >"$DG/vols/target_groups/mgmt"
printf 'create node_b\n' >"$DG/vols/target_groups/mgmt"
printf 'add %s\n' "$T" >"$DG/vols/target_groups/node_a/mgmt"
step scst.iscsi.scst_alua '{"device_group": "vols", "target_group": "node_a", "state": "unavailable"}'
step scst.iscsi.scst_alua '{"device_group": "vols", "target_group": "node_b", "state": "standby", "preferred": true}'
test "$(head -n1 "$DG/vols/target_groups/node_a/state")" = unavailable
python "$F/adhoc.py" scst.iscsi.scst_alua '{"device_group": "nosuch", "target_group": "node_a", "state": "active"}' \
    >"$TEST_TMPDIR/alua-bad.json" || true
python - "$TEST_TMPDIR/alua-bad.json" <<'PY'
import json, sys
result = json.load(open(sys.argv[1]))
assert result["msg"].startswith("device_group: no device group nosuch"), result
assert not result.get("changed"), result
print("ok scst_alua refuses an unknown device group")
PY
# the fully qualified name works as well
step scst.iscsi.scst_lun "{\"target\": \"$T\", \"lun\": 1, \"device\": \"disk1\"}"
step scst_lun "{\"target\": \"$T\", \"lun\": 1, \"state\": \"absent\"}"
step scst_group "{\"target\": \"$T\", \"name\": \"host1\", \"state\": \"absent\"}"
step scst_target "{\"name\": \"$T\", \"state\": \"absent\"}"
step scst_device '{"name": "disk1", "handler": "vdisk_fileio", "state": "absent"}'

# scst_info over real file I/O: the emulator's view and the module's agree
python "$F/adhoc.py" scst_info '{"as_yaml": true}' >"$TEST_TMPDIR/info.json"
python - "$TEST_TMPDIR/info.json" <<'PY'
import json, sys
info = json.load(open(sys.argv[1]))["scst"]
assert sorted(info["handlers"]) == ["vdisk_blockio", "vdisk_nullio"], info["handlers"]
assert info["drivers"]["iscsi"]["enabled"] is True
assert info["drivers"]["iscsi"]["chap"] == {"incoming": [{"username": "discovery", "password": "********"}], "outgoing": []}
assert info["drivers"]["iscsi"]["targets"] == {}
print("ok scst_info")
PY
! grep -r -e "$PW1" -e "$PW2" "$TEST_TMPDIR"/*.json
