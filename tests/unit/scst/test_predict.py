"""predict_configuration replays every write form the planners emit: for a
batch of management writes, the configuration predicted from the one read
before equals the configuration read back after the emulator made them.

The batches build a host with every kind of configuration (root, handler
and LUN attributes, attributes outside the catalog, scst_local targets with
sessions, a hardware port, pass-through devices, CHAP, portals, groups, ALUA
with local and remote members) and take it apart again, one kind of write
after the other, so that a write form the replay does not know shows as a
difference naming that batch.
"""

from __future__ import annotations

import pytest

from ansible_collections.scst.iscsi.plugins.module_utils.scst.info import read_configuration
from ansible_collections.scst.iscsi.plugins.module_utils.scst.live import LiveTree
from ansible_collections.scst.iscsi.plugins.module_utils.scst.plan import Plan
from ansible_collections.scst.iscsi.plugins.module_utils.scst.predict import predict_configuration
from ansible_collections.scst.iscsi.plugins.module_utils.scst.sysfs import Sysfs
from scst_emulator import InProcessBackend, ScstEmulator

T1 = "iqn.2026-11.com.example:storage.t1"
T2 = "iqn.2026-11.com.example:storage.t2"
REMOTE = "iqn.2026-11.com.example:peer.t1"
PORT = "50:01:43:80:12:34:56:78"
H1 = "iqn.2026-11.com.example:host1"
SECRET = "host1-secret-123"

BATCHES = [
    ("root attributes", [
        ("setup_id", "0x2a"), ("threads", "4"), ("max_tasklet_cmd", "20"), ("cluster_name", "lab"),
        ("poll_us", "0"), ("force_global_sgv_pool", "1"), ("measure_latency", "1")]),
    ("devices", [
        ("handlers/vdisk_fileio/mgmt", "add_device disk1 filename=/srv/disk1.img;nv_cache=1;blocksize=4096;"
                                       "cluster_mode=1;read_only=0"),
        ("devices/disk1/prod_id", "Disk One"), ("devices/disk1/usn", "u1"),
        ("devices/disk1/threads_pool_type", "shared"), ("devices/disk1/threads_num", "8"),
        ("handlers/vdisk_blockio/mgmt", "add_device blk1 filename=/dev/sdb;thin_provisioned=0"),
        ("devices/blk1/t10_vend_id", "ACME"), ("devices/blk1/expl_alua", "1"),
        ("handlers/vdisk_nullio/mgmt", "add_device null1 size_mb=64;dummy=1;read_only=1"),
        ("handlers/vdisk_nullio/mgmt", "add_device null2"), ("devices/null2/read_zero", "1"),
        ("devices/null2/eui64_id", "0x0123456789abcdef"),
        ("handlers/vcdrom/mgmt", "add_device cd1"), ("devices/cd1/filename", "/srv/tools.iso"),
        ("handlers/dev_disk/mgmt", "add_device 3:0:0:0"),
        ("devices/3:0:0:0/max_tgt_dev_commands", "16"),
        ("devices/3:0:0:0/pr_file_name", "/var/lib/scst/pr/disk-3-0-0-0")]),
    ("iSCSI driver and targets", [
        ("targets/iscsi/mgmt", "add_attribute IncomingUser disc " + SECRET),
        ("targets/iscsi/link_local", "0"), ("targets/iscsi/iSNSServer", "10.0.0.9 AccessControl"),
        ("targets/iscsi/mgmt", "add_target " + T1), ("targets/iscsi/mgmt", "add_target " + T2),
        ("targets/iscsi/mgmt", "add_target_attribute %s IncomingUser host1 %s" % (T1, SECRET)),
        ("targets/iscsi/mgmt", "add_target_attribute %s OutgoingUser tgt1 %s" % (T1, SECRET + "x")),
        ("targets/iscsi/mgmt", "add_target_attribute %s allowed_portal 10.0.0.*" % T1),
        ("targets/iscsi/%s/QueuedCommands" % T1, "64"), ("targets/iscsi/%s/comment" % T1, "the main target"),
        ("targets/iscsi/%s/NopInInterval" % T1, "30"), ("targets/iscsi/%s/rel_tgt_id" % T2, "9"),
        ("targets/iscsi/%s/black_hole" % T1, "1")]),
    ("LUNs and groups", [
        ("targets/iscsi/%s/luns/mgmt" % T1, "add disk1 0"),
        ("targets/iscsi/%s/luns/mgmt" % T1, "add blk1 1 read_only=1"),
        ("targets/iscsi/%s/luns/mgmt" % T1, "add null1 2"),
        ("targets/iscsi/%s/ini_groups/mgmt" % T1, "create hosts"),
        ("targets/iscsi/%s/ini_groups/mgmt" % T1, "create others"),
        ("targets/iscsi/%s/ini_groups/hosts/initiators/mgmt" % T1, "add " + H1),
        ("targets/iscsi/%s/ini_groups/hosts/initiators/mgmt" % T1, "add iqn.2026-11.com.example:*wild*"),
        ("targets/iscsi/%s/ini_groups/hosts/initiators/mgmt" % T1, "move %s others" % H1),
        ("targets/iscsi/%s/ini_groups/hosts/luns/mgmt" % T1, "add blk1 0"),
        ("targets/iscsi/%s/ini_groups/hosts/addr_method" % T1, "FLAT"),
        ("targets/iscsi/%s/ini_groups/hosts/per_sess_dedicated_tgt_threads" % T1, "1"),
        ("targets/iscsi/%s/ini_groups/hosts/cpu_mask" % T1, "1"),
        ("targets/iscsi/%s/luns/mgmt" % T2, "add 3:0:0:0 0"),
        ("targets/iscsi/%s/enabled" % T1, "1"), ("targets/iscsi/enabled", "1")]),
    ("scst_local and a hardware port", [
        ("targets/scst_local/mgmt", "add_target local1 session_name=s1;session_name=s2"),
        ("targets/scst_local/mgmt", "add_target local2 session_name=only"),
        ("targets/scst_local/mgmt", "add_target local3"),
        ("targets/scst_local/local1/luns/mgmt", "add null2 0"),
        ("targets/scst_local/local1/phys_transport_version", "0x960"),
        ("targets/scst_local/local2/scsi_transport_version", "0x0"),
        ("targets/scst_local/local1/ini_groups/mgmt", "create ig"),
        ("targets/scst_local/local1/ini_groups/ig/luns/mgmt", "add null1 0"),
        ("targets/scst_local/local1/ini_groups/ig/initiators/mgmt", "add ini1"),
        ("targets/scst_local/mgmt", "add_session local3 late"),
        ("targets/qla2x00t/%s/luns/mgmt" % PORT, "add blk1 0"), ("targets/qla2x00t/%s/enabled" % PORT, "1")]),
    ("ALUA", [
        ("device_groups/mgmt", "create dg1"),
        ("device_groups/dg1/devices/mgmt", "add disk1"), ("device_groups/dg1/devices/mgmt", "add blk1"),
        ("device_groups/dg1/target_groups/mgmt", "create local"),
        ("device_groups/dg1/target_groups/local/group_id", "1"),
        ("device_groups/dg1/target_groups/local/preferred", "1"),
        ("device_groups/dg1/target_groups/local/mgmt", "add " + T1),
        ("device_groups/dg1/target_groups/local/mgmt", "add local1"),
        ("device_groups/dg1/target_groups/mgmt", "create peer"),
        ("device_groups/dg1/target_groups/peer/group_id", "2"),
        ("device_groups/dg1/target_groups/peer/state", "standby"),
        ("device_groups/dg1/target_groups/peer/mgmt", "add " + REMOTE),
        ("device_groups/dg1/target_groups/peer/%s/rel_tgt_id" % REMOTE, "7"),
        ("device_groups/dg1/target_groups/peer/mgmt", "add iqn.2026-11.com.example:peer.t2"),
        ("device_groups/mgmt", "create dg2"),
        ("device_groups/dg2/devices/mgmt", "add null2"),
        ("device_groups/dg2/target_groups/mgmt", "create fresh"),
        ("device_groups/dg2/target_groups/fresh/mgmt", "add " + T2),
        ("device_groups/dg2/target_groups/fresh/state", "nonoptimized")]),
    ("changes in place", [
        ("setup_id", "0"), ("cluster_name", ""), ("max_tasklet_cmd", "10"),
        ("devices/disk1/cluster_mode", "0"), ("devices/disk1/threads_pool_type", "per_initiator"),
        ("devices/null2/eui64_id", ""), ("devices/cd1/filename", ""),
        ("targets/iscsi/%s/QueuedCommands" % T1, "32"), ("targets/iscsi/%s/comment" % T1, ""),
        ("targets/iscsi/link_local", "1"), ("targets/iscsi/iSNSServer", ""),
        ("targets/iscsi/%s/ini_groups/hosts/addr_method" % T1, "PERIPHERAL"),
        ("targets/iscsi/%s/luns/mgmt" % T1, "replace null2 0"),
        ("targets/iscsi/%s/luns/mgmt" % T1, "replace blk1 1"),
        ("targets/iscsi/%s/luns/mgmt" % T1, "del 2"),
        ("targets/iscsi/%s/ini_groups/hosts/initiators/mgmt" % T1, "del iqn.2026-11.com.example:*wild*"),
        ("targets/scst_local/local1/sessions/s1/force_close", "1"),
        ("targets/scst_local/mgmt", "del_session local3 late"),
        ("device_groups/dg1/target_groups/peer/state", "active"),
        ("device_groups/dg1/target_groups/local/preferred", "0"),
        ("device_groups/dg1/target_groups/local/mgmt", "del local1"),
        ("device_groups/dg1/devices/mgmt", "del blk1"), ("device_groups/dg2/devices/mgmt", "add blk1"),
        ("targets/iscsi/mgmt", "del_target_attribute %s OutgoingUser tgt1" % T1),
        ("targets/iscsi/mgmt", "del_target_attribute %s allowed_portal 10.0.0.*" % T1)]),
    ("re-creating a device", [
        ("handlers/vdisk_fileio/mgmt", "del_device disk1"),
        ("handlers/vdisk_fileio/mgmt", "add_device disk1 filename=/srv/disk1.img;read_only=1"),
        ("targets/iscsi/%s/luns/mgmt" % T1, "add disk1 3"),
        ("device_groups/dg1/devices/mgmt", "add disk1")]),
    ("taking it apart", [
        ("targets/iscsi/%s/enabled" % T1, "0"),
        ("targets/iscsi/%s/ini_groups/hosts/luns/mgmt" % T1, "clear"),
        ("targets/iscsi/%s/ini_groups/mgmt" % T1, "del others"),
        ("device_groups/dg1/target_groups/mgmt", "del peer"),
        ("device_groups/mgmt", "del dg2"),
        ("targets/iscsi/mgmt", "del_target " + T1),
        ("targets/scst_local/mgmt", "del_target local1"),
        ("handlers/vdisk_nullio/mgmt", "del_device null1"),
        ("handlers/dev_disk/mgmt", "del_device 3:0:0:0"),
        ("targets/iscsi/mgmt", "del_attribute IncomingUser disc")]),
]


def _read(emu):
    return read_configuration(LiveTree(Sysfs(InProcessBackend(emu))))


def _plan(writes):
    plan = Plan()
    for path, data in writes:
        plan.add("device_attr", path, data, "write %s" % path)   # one phase: the order is kept
    return plan


@pytest.fixture(scope="module")
def states():
    """(name, writes, before, after) of each batch, on one host."""
    emu = ScstEmulator(with_scst_local=True, hw_targets={"qla2x00t": [PORT]})
    emu.add_backing("/srv/disk1.img", 256 << 20, "file")
    emu.add_backing("/dev/sdb", 1 << 30, "block")
    emu.add_backing("/srv/tools.iso", 2048 * 100, "file")
    emu.add_scsi_device("3:0:0:0", 0)
    found = []
    for name, writes in BATCHES:
        before = _read(emu)
        for path, data in writes:
            emu.write(path, data + "\n")
        found.append((name, writes, before, _read(emu)))
    return found


@pytest.mark.parametrize("index", range(len(BATCHES)), ids=[name for name, _w in BATCHES])
def test_the_replay_of_a_batch_is_what_the_host_reads_back(states, index):
    _name, writes, before, after = states[index]
    assert before != after, "the batch changes nothing the reader shows"
    assert predict_configuration(before, _plan(writes)) == after


def test_the_whole_history_in_one_plan(states):
    writes = [w for _name, batch, _b, _a in states for w in batch]
    assert predict_configuration(states[0][2], _plan(writes)) == states[-1][3]


def test_nothing_to_replay_is_the_normal_form_of_before(states):
    for _name, _writes, before, _after in states:
        assert predict_configuration(before, Plan()) == before
