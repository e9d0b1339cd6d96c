"""After converge and idempotence: the emulated SCST tree in the guest holds
what scst_target_config declares, /etc/scst.conf saves it, and the module
applied once more changes nothing."""

import json

import pytest


def read(host, path):
    return host.file(path).content_string.strip()


def devices_of(lab):
    for handler, spec in lab["scst_target_config"]["handlers"].items():
        for name, device in spec["devices"].items():
            yield handler, name, device


def test_emulator_is_mounted(host, root):
    assert host.mount_point(root).exists
    assert host.mount_point(root).filesystem.startswith("fuse")


def test_devices(host, lab, root):
    for handler, name, device in devices_of(lab):
        path = f"{root}/devices/{name}"
        assert host.file(path).is_directory, name
        assert host.file(f"{path}/handler").linked_to.endswith(f"/handlers/{handler}")
        assert read(host, f"{path}/filename").splitlines()[0] == device["filename"]


def test_backing_files_are_private(host, lab):
    for backing in lab["scst_target_backing_files"]:
        f = host.file(backing["path"])
        assert f.is_file and f.mode == 0o600 and f.user == "root"
        assert f.size == 64 * 1024 * 1024


def test_driver_enabled_and_discovery_chap(host, root, iscsi):
    assert read(host, f"{root}/targets/iscsi/enabled") == "1"
    accounts = host.check_output("ls %s/targets/iscsi", root).split()
    assert any(a.startswith("IncomingUser") for a in accounts)
    users = " ".join(read(host, f"{root}/targets/iscsi/{a}") for a in accounts if a.startswith("IncomingUser"))
    assert iscsi["chap"]["incoming"][0]["username"] in users


@pytest.mark.parametrize("iqn", ["iqn.2026-11.org.example.lab:db", "iqn.2026-11.org.example.lab:files"])
def test_target(host, root, iscsi, iqn):
    spec = iscsi["targets"][iqn]
    path = f"{root}/targets/iscsi/{iqn}"
    assert read(host, f"{path}/enabled") == "1"
    portals = host.check_output("cat %s/allowed_portal* 2>/dev/null || true", path).split()
    assert spec["allowed_portals"][0] in portals
    for direction, attr in (("incoming", "IncomingUser"), ("outgoing", "OutgoingUser")):
        for account in spec["chap"].get(direction, []):
            text = host.check_output("cat %s/%s* 2>/dev/null || true", path, attr)
            assert account["username"] in text, f"{iqn} {attr}"


def test_target_luns(host, root, iscsi):
    iqn = "iqn.2026-11.org.example.lab:files"
    lun0 = host.file(f"{root}/targets/iscsi/{iqn}/luns/0/device")
    assert lun0.linked_to.endswith("/devices/share")


@pytest.mark.parametrize("group", ["host1", "host2"])
def test_groups(host, root, iscsi, group):
    iqn = "iqn.2026-11.org.example.lab:db"
    spec = iscsi["targets"][iqn]["groups"][group]
    path = f"{root}/targets/iscsi/{iqn}/ini_groups/{group}"
    initiators = host.check_output("ls %s/initiators", path).split()
    assert spec["initiators"][0] in initiators
    for lun, mapping in spec["luns"].items():
        assert host.file(f"{path}/luns/{lun}/device").linked_to.endswith("/devices/" + mapping["device"])
        read_only = read(host, f"{path}/luns/{lun}/read_only").splitlines()[0]
        assert read_only == ("1" if mapping.get("read_only") else "0")


def test_scst_conf_is_saved_privately(host, iscsi):
    conf = host.file("/etc/scst.conf")
    assert conf.is_file and conf.mode == 0o600 and conf.user == "root"
    text = conf.content_string
    for iqn in iscsi["targets"]:
        assert f"TARGET {iqn} {{" in text
    for name in ("data", "logs", "share"):
        assert f"DEVICE {name} {{" in text
    assert "GROUP host2 {" in text
    # the secrets are saved (the file restores CHAP at boot), hence mode 0600
    assert "db-secret-0001" in text


def test_second_apply_changes_nothing(host, lab, root):
    """scst_config once more, outside the role: no write, file not rewritten."""
    args = json.dumps({"config": lab["scst_target_config"], "sysfs_root": root})
    result = host.ansible("scst.iscsi.scst_config", args, check=False, become=False)
    assert result["changed"] is False, result.get("plan")
    assert result["plan"] == []
    assert result["persisted"] is False
