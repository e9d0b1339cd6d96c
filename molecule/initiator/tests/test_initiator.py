"""After converge, idempotence and a reboot of the initiator: the sessions,
their disks and the data written through them, seen from both ends."""

import pytest

LOGGED_IN = ("oneway", "mutual")


def by_path(portal, iqn, lun=0):
    return f"/dev/disk/by-path/ip-{portal}:3260-iscsi-{iqn}-lun-{lun}"


def node_record(initiator, iqn, portal):
    out = initiator.check_output("iscsiadm -m node -T %s -p %s", iqn, portal)
    return dict(
        line.split(" = ", 1) for line in out.splitlines() if " = " in line
    )


def test_initiator_name(initiator, lab):
    name = initiator.file("/etc/iscsi/initiatorname.iscsi").content_string
    assert f"InitiatorName={lab['lab_initiator_iqn']}" in name.splitlines()


@pytest.mark.parametrize("key", LOGGED_IN)
def test_session_is_logged_in(initiator, lab, portal, key):
    sessions = initiator.check_output("iscsiadm -m session")
    assert f"{portal}:3260,1 {lab['lab_targets'][key]['iqn']}" in sessions


@pytest.mark.parametrize("key", LOGGED_IN)
def test_node_starts_automatically_with_chap(initiator, lab, portal, key):
    target = lab["lab_targets"][key]
    record = node_record(initiator, target["iqn"], portal)
    assert record["node.startup"] == "automatic"
    assert record["node.session.auth.authmethod"] == "CHAP"
    assert record["node.session.auth.username"] == target["username"]
    # iscsiadm masks secrets unless asked (-S); only their presence is checked.
    assert record["node.session.auth.password"] == "********"
    if "username_in" in target:
        assert record["node.session.auth.username_in"] == target["username_in"]
        assert record["node.session.auth.password_in"] == "********"
    else:
        assert record["node.session.auth.username_in"] in ("<empty>", "")


@pytest.mark.parametrize("key", LOGGED_IN)
def test_target_sees_the_session(target, lab, key):
    """LIO, which enforces CHAP on these TPGs, has the initiator logged in."""
    iqn = lab["lab_targets"][key]["iqn"]
    tpg = f"/sys/kernel/config/target/iscsi/{iqn}/tpgt_1"
    assert target.file(f"{tpg}/attrib/authentication").content_string.strip() == "1"
    info = target.file(f"{tpg}/acls/{lab['lab_initiator_iqn']}/info").content_string
    assert "TARG_SESS_STATE_LOGGED_IN" in info


@pytest.mark.parametrize("key", LOGGED_IN)
def test_disk_by_path(initiator, lab, portal, key):
    link = initiator.file(by_path(portal, lab["lab_targets"][key]["iqn"]))
    assert link.is_symlink
    disk = initiator.file(link.linked_to)
    assert disk.exists and disk.path.startswith("/dev/sd")
    size = int(initiator.check_output("blockdev --getsize64 %s", disk.path))
    assert size == 64 * 1024 * 1024


def test_data_through_a_filesystem(initiator, lab, portal):
    """ext4 on the one-way CHAP disk: write, unmount, drop caches, read back."""
    dev = by_path(portal, lab["lab_targets"]["oneway"]["iqn"])
    mnt = "/mnt/lab-oneway"
    initiator.run("umount %s", mnt)  # left over from an interrupted run
    initiator.check_output("mkfs.ext4 -q -F %s", dev)
    initiator.check_output("mkdir -p %s && mount %s %s", mnt, dev, mnt)
    try:
        written = initiator.check_output(
            "head -c 8M /dev/urandom | tee %s/data | sha256sum | cut -d' ' -f1", mnt
        )
        initiator.check_output("sync")
    finally:
        initiator.check_output("umount %s", mnt)
    initiator.check_output("echo 3 > /proc/sys/vm/drop_caches")
    initiator.check_output("mount -o ro %s %s", dev, mnt)
    try:
        read = initiator.check_output("sha256sum < %s/data | cut -d' ' -f1", mnt)
    finally:
        initiator.check_output("umount %s", mnt)
    assert read == written


def test_data_reaches_the_target(initiator, target, lab, portal):
    """Raw blocks on the mutual CHAP disk, read back with O_DIRECT on the
    initiator and from the backing file on the target."""
    dev = by_path(portal, lab["lab_targets"]["mutual"]["iqn"])
    block = "/run/lab-block"  # tmpfs in the guest
    written = initiator.check_output(
        "head -c 4M /dev/urandom > %s && sha256sum < %s | cut -d' ' -f1", block, block
    )
    initiator.check_output(
        "dd if=%s of=%s bs=1M oflag=direct conv=fsync status=none && rm -f %s", block, dev, block
    )
    read = initiator.check_output(
        "dd if=%s bs=1M count=4 iflag=direct status=none | sha256sum | cut -d' ' -f1", dev
    )
    assert read == written
    on_target = target.check_output(
        "head -c 4M /var/lib/lab-target/mutual.img | sha256sum | cut -d' ' -f1"
    )
    assert on_target == written
