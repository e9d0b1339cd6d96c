"""ALUA device groups / target groups (spec 3.9)."""

from emu_helpers import err_of

DG = "device_groups"


def test_device_group_lifecycle(emu):
    emu.write("handlers/vdisk_nullio/mgmt", "add_device n1\n")
    emu.write("targets/iscsi/mgmt", "add_target t1\n")
    emu.inject_eagain(count=1)
    assert err_of(emu, f"{DG}/mgmt", "create dg1\n") == "OK"      # synchronous, no EAGAIN
    emu.inject_eagain(count=0)
    assert err_of(emu, f"{DG}/mgmt", "add dg1\n") == "EEXIST"
    assert err_of(emu, f"{DG}/mgmt", "create\n") == "EINVAL"
    assert err_of(emu, f"{DG}/mgmt", "DEL nosuch\n") == "EINVAL"
    assert err_of(emu, f"{DG}/mgmt", "frob x\n") == "EINVAL"
    emu.write(f"{DG}/mgmt", "create dg2\n")
    assert err_of(emu, f"{DG}/dg1/devices/mgmt", "add nosuch\n") == "EINVAL"
    assert err_of(emu, f"{DG}/dg1/devices/mgmt", "add n1\n") == "OK"
    assert err_of(emu, f"{DG}/dg2/devices/mgmt", "add n1\n") == "EEXIST"
    assert emu.readlink(f"{DG}/dg1/devices/n1") == "../../../devices/n1"
    tgs = f"{DG}/dg1/target_groups"
    assert err_of(emu, f"{tgs}/mgmt", "create tg1\n") == "OK"
    assert err_of(emu, f"{tgs}/mgmt", "create tg1\n") == "EEXIST"
    emu.write(f"{tgs}/mgmt", "create tg2\n")
    tg = f"{tgs}/tg1"
    assert emu.read(f"{tg}/group_id") == "0\n[key]\n"
    assert emu.read(f"{tg}/state") == "active\n[key]\n"
    assert emu.read(f"{tg}/preferred") == "0\n"
    assert err_of(emu, f"{tg}/group_id", "0\n") == "EINVAL"
    emu.write(f"{tg}/group_id", "7\n")
    assert err_of(emu, f"{tg}/state", "Standby\n") == "EINVAL"
    emu.write(f"{tg}/state", "standby\n")
    assert emu.read(f"{tg}/state") == "standby\n[key]\n"
    emu.write(f"{tg}/preferred", "1\n")
    assert emu.read(f"{tg}/preferred") == "1\n[key]\n"
    assert err_of(emu, f"{tg}/mgmt", "add t1\n") == "OK"
    assert err_of(emu, f"{tgs}/tg2/mgmt", "add t1\n") == "EEXIST"
    assert emu.readlink(f"{tg}/t1") == "../../../../targets/iscsi/t1"
    assert emu.read(f"{tg}/t1/rel_tgt_id") == "0\n"               # through the link
    assert err_of(emu, f"{tg}/mgmt", "add remote_tgt\n") == "OK"
    assert emu.read(f"{tg}/remote_tgt/rel_tgt_id") == "0\n[key]\n"
    assert err_of(emu, f"{tg}/remote_tgt/rel_tgt_id", "70000\n") == "EINVAL"
    assert err_of(emu, f"{tg}/mgmt", "del nosuch\n") == "EINVAL"
    emu.write("targets/iscsi/mgmt", "del_target t1\n")
    assert not emu.exists(f"{tg}/t1")                              # membership dropped
    emu.write("handlers/vdisk_nullio/mgmt", "del_device n1\n")
    assert emu.listdir(f"{DG}/dg1/devices") == ["mgmt"]
    assert err_of(emu, f"{DG}/mgmt", "del dg1\n") == "OK"
