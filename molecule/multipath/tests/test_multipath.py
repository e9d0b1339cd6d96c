"""After converge and idempotence: one dm-multipath map over two iSCSI paths,
each on its own private link, and a write through the map that goes on while
the target's second link is down.

The failover test runs once (module fixture ``failover``) and the tests below
it check its parts. Times are taken on the controller (monotonic clock); the
guests are polled over SSH every lab_testinfra.POLL seconds, so a time is at
most that much late. Each step's figures go to the scenario's timing report
(lab_testinfra.record_measurement).
"""

import json
import re
import time

import pytest
from lab_testinfra import io_sectors, record_measurement, wait_for

MIB = 1024 * 1024
WRITE_MIB = 128
# The link stays down at least this long, and until the path has failed.
LINK_DOWN_SECONDS = 20
# Bounds of each wait: a hung step fails the test instead of hanging it.
PATH_FAIL_TIMEOUT = 90
PATH_BACK_TIMEOUT = 90
WRITE_TIMEOUT = 300
DATA = "/var/tmp/lab-multipath-data"


def by_path(portal, iqn, lun=0):
    return f"/dev/disk/by-path/ip-{portal}:3260-iscsi-{iqn}-lun-{lun}"


def mapper(lab):
    return f"/dev/mapper/{lab['lab_multipath_alias']}"


def the_map(initiator, lab):
    """The map of the LUN as multipathd describes it (JSON)."""
    maps = json.loads(initiator.check_output("multipathd show maps json"))["maps"]
    found = [m for m in maps if m["name"] == lab["lab_multipath_alias"]]
    assert found, f"no map {lab['lab_multipath_alias']}: {[m['name'] for m in maps]}"
    return found[0]


def path_states(initiator, lab):
    """{device: 'dm_st/chk_st/dev_st'} of the map's paths, e.g. sda: active/ready/running."""
    return {
        path["dev"]: f"{path['dm_st']}/{path['chk_st']}/{path['dev_st']}"
        for group in the_map(initiator, lab)["path_groups"]
        for path in group["paths"]
    }


def path_device(initiator, lab, link):
    """sdX of the LUN through the portal on LINK (0: eth1, 1: eth2)."""
    link_file = initiator.file(by_path(lab["lab_portals"][link], lab["lab_target_iqn"]))
    assert link_file.is_symlink, f"no disk through {lab['lab_portals'][link]}"
    return link_file.linked_to.rsplit("/", 1)[1]


def test_map_with_alias_and_wwid(initiator, lab):
    """The map has the alias the role was given for the LUN's WWID."""
    mpath = the_map(initiator, lab)
    # LIO's NAA WWID of a unit serial: 36001405 and the serial's first 25 hex digits.
    assert lab["lab_lun_wwid"] == "36001405" + re.sub("[^0-9a-f]", "", lab["lab_lun_serial"])[:25]
    assert mpath["uuid"] == lab["lab_lun_wwid"]
    assert initiator.file(mapper(lab)).linked_to == f"/dev/{mpath['sysfs']}"
    size = int(initiator.check_output("blockdev --getsize64 %s", mapper(lab)))
    assert size == lab["lab_lun_size_mib"] * MIB
    record_measurement("verify map", f"{mapper(lab)} -> /dev/{mpath['sysfs']}, WWID "
                       f"{mpath['uuid']}, {size // MIB} MiB")


def test_two_paths_up(initiator, lab):
    states = path_states(initiator, lab)
    devices = {path_device(initiator, lab, 0), path_device(initiator, lab, 1)}
    assert len(devices) == 2
    assert states == {dev: "active/ready/running" for dev in devices}
    record_measurement("verify paths up", ", ".join(f"{d} {s}" for d, s in sorted(states.items())))


def test_each_path_on_its_own_link(initiator, target, lab):
    """One session per iface, bound to its NIC; the target sees one per link."""
    sessions = initiator.check_output("iscsiadm -m session -P 1")
    # Per portal: the iface and NIC the session runs through.
    found = dict(
        (portal, (iface, netdev))
        for portal, iface, netdev in re.findall(
            r"Current Portal: ([\d.]+):3260,1.*?Iface Name: (\S+).*?Iface Netdev: (\S+)",
            sessions, flags=re.S,
        )
    )
    assert found == {lab["lab_portals"][0]: ("path0", "eth1"), lab["lab_portals"][1]: ("path1", "eth2")}
    established = target.check_output("ss -Htn state established '( sport = :3260 )'")
    peers = {tuple(line.split()[-2:]) for line in established.splitlines()}
    local_peer = {(local.rsplit(":", 1)[0], peer.rsplit(":", 1)[0]) for local, peer in peers}
    assert local_peer == {("192.168.77.10", "192.168.77.20"), ("192.168.78.10", "192.168.78.20")}


@pytest.fixture(scope="module")
def failover(initiator, target, lab):  # pylint: disable=too-many-locals
    """Write WRITE_MIB MiB through the map while the target's eth2 goes down, then up."""
    device = mapper(lab)
    cut = path_device(initiator, lab, 1)  # the path through eth2
    initiator.run("rm -f /run/lab-write.rc /run/lab-write.err")
    written = initiator.check_output(
        "head -c %sM /dev/urandom | tee %s | sha256sum | cut -d' ' -f1", str(WRITE_MIB), DATA
    )
    initiator.check_output("echo 'lab: failover test starts' >/dev/kmsg")
    before = io_sectors(initiator, cut)
    initiator.check_output(
        "systemd-run --quiet --collect --unit lab-write sh -c "
        "'dd if=%s of=%s bs=1M oflag=direct conv=fsync 2>/run/lab-write.err; "
        "echo $? >/run/lab-write.rc'", DATA, device,
    )
    write_started = time.monotonic()
    # The write must be flowing through the path about to be cut.
    wait_for(f"writes through {cut}", 60, lambda: io_sectors(initiator, cut)[1] > before[1])
    assert not initiator.file("/run/lab-write.rc").exists, "the write ended before the link went down"

    link_down = time.monotonic()
    target.check_output("ip link set eth2 down")
    try:
        def cut_failed():
            """(write still running,) once the path is failed, else None."""
            # One command: the paths' states and whether the write has ended.
            out = initiator.run(
                "multipathd show paths raw format '%d %t'; test -e /run/lab-write.rc && echo ended"
            ).stdout
            state = dict(line.split()[:2] for line in out.splitlines() if line.startswith("sd"))
            if state.get(cut) != "failed":
                return None
            return ("ended" not in out.split(),)

        (running_at_failure,), _seconds = wait_for(
            f"path {cut} marked failed", PATH_FAIL_TIMEOUT, cut_failed
        )
        failed_after = time.monotonic() - link_down
        time.sleep(max(0.0, LINK_DOWN_SECONDS - (time.monotonic() - link_down)))
    finally:
        target.check_output("ip link set eth2 up")
    link_up = time.monotonic()
    down_for = link_up - link_down

    _states, back_after = wait_for(
        f"path {cut} active again", PATH_BACK_TIMEOUT,
        lambda: path_states(initiator, lab).get(cut) == "active/ready/running",
    )

    def write_exit_status():
        return initiator.run("cat /run/lab-write.rc").stdout.strip()

    rc_text, _seconds = wait_for("the write to end", WRITE_TIMEOUT, write_exit_status)
    write_wall = time.monotonic() - write_started
    dd_report = initiator.check_output("cat /run/lab-write.err")
    initiator.check_output("echo 3 >/proc/sys/vm/drop_caches")
    read_back = initiator.check_output(
        "dd if=%s bs=1M count=%s iflag=direct status=none | sha256sum | cut -d' ' -f1",
        device, str(WRITE_MIB),
    )
    kernel_log = initiator.check_output("dmesg")
    kernel_log = kernel_log[kernel_log.rfind("lab: failover test starts"):]
    result = {
        "cut": cut,
        "cut_dev_t": initiator.file(f"/sys/block/{cut}/dev").content_string.strip(),
        "dm": the_map(initiator, lab)["sysfs"],
        "rc": int(rc_text),
        "dd_report": dd_report,
        "written": written,
        "read_back": read_back,
        "running_at_failure": running_at_failure,
        "failed_after": failed_after,
        "down_for": down_for,
        "back_after": back_after,
        "write_wall": write_wall,
        "kernel_log": kernel_log,
    }
    copied = re.search(r"^(\d+) bytes .* copied, ([\d.]+) s, (.*)$", dd_report, flags=re.M)
    record_measurement(
        "verify failover",
        f"eth2 of target1 down {down_for:.1f} s during a {WRITE_MIB} MiB write; path {cut} "
        f"failed {failed_after:.1f} s after the link went down (write still running: "
        f"{running_at_failure}); back to active {back_after:.1f} s after the link came up",
    )
    record_measurement(
        "verify write",
        f"dd exit {result['rc']}, " + (
            f"{copied.group(1)} bytes in {copied.group(2)} s ({copied.group(3)})" if copied
            else " ".join(dd_report.strip().splitlines()[-1:])
        ) + f"; {write_wall:.1f} s from its start to the end seen by the test",
    )
    record_measurement(
        "verify checksum",
        f"sha256 written {written[:16]}..., read back through the map {read_back[:16]}... "
        f"({'equal' if written == read_back else 'DIFFERENT'})",
    )
    yield result
    initiator.run("rm -f %s", DATA)


def test_write_completes_without_error(failover):
    assert failover["rc"] == 0, failover["dd_report"]
    assert f"{WRITE_MIB * MIB} bytes" in failover["dd_report"]


def test_path_failed_during_the_write(failover):
    """The failover really happened under the write, not after it."""
    assert failover["running_at_failure"]
    assert failover["failed_after"] < PATH_FAIL_TIMEOUT
    assert f"Failing path {failover['cut_dev_t']}" in failover["kernel_log"]


def test_no_io_error_on_the_map(failover):
    """The path saw I/O errors (its link was down); the map saw none."""
    errors = [
        line for line in failover["kernel_log"].splitlines()
        if re.search(r"error", line, flags=re.I) and re.search(rf"\b{failover['dm']}\b", line)
    ]
    assert not errors


def test_read_back_equals_written(failover):
    assert failover["read_back"] == failover["written"]


def test_path_back_carries_io(failover, initiator, lab):
    """Both paths active again, and reads in parallel go through the returned one too."""
    states = path_states(initiator, lab)
    assert set(states.values()) == {"active/ready/running"} and len(states) == 2
    cut = failover["cut"]
    before = io_sectors(initiator, cut)
    initiator.check_output(
        "for i in 0 1 2 3 4 5 6 7; do dd if=%s of=/dev/null bs=1M count=8 skip=$((i * 8)) "
        "iflag=direct status=none & done; wait", mapper(lab),
    )
    after = io_sectors(initiator, cut)
    read_mib = (after[0] - before[0]) * 512 / MIB
    record_measurement(
        "verify path back", f"{len(states)} paths active; {read_mib:.0f} of 64 MiB read in "
        f"parallel went through {cut} (eth2)",
    )
    assert after[0] > before[0]
