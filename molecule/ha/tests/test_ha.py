"""After converge and idempotence of playbooks/site.yml on the HA pair: both
nodes export each volume with one identity, ALUA says node-a is active and
node-b standby, and the initiator has one dm-multipath map per volume over
four paths (two links to each node). Then the volumes move to node-b with
playbooks/ha-switch.yml while a write goes on through the map (node-a's group
unavailable), and back to node-a during a second write (node-b standby).

Each switch runs once (module fixtures ``failover`` and ``failback``) and the
tests below them check its parts. Times are taken on the controller; guests
are polled over SSH (lab_testinfra.wait_for). The figures go to the
scenario's timing report (lab_testinfra.record_measurement).
"""

import json
import os
import pathlib
import re
import subprocess
import time

import pytest
from lab_testinfra import io_sectors, record_measurement, wait_for

ROOT = pathlib.Path(__file__).resolve().parents[3]
MIB = 1024 * 1024
SYSFS = "/sys/kernel/scst_tgt"
IDENTITY = ("t10_dev_id", "usn", "vend_specific_id", "naa_id", "eui64_id")
LUN = 0
# The write is held to WRITE_RATE (a cgroup limit on the map) so that it lasts
# about WRITE_MIB / WRITE_RATE s: longer than a switch takes.
WRITE_MIB = 192
WRITE_RATE = "4M"
SWITCH_TIMEOUT = 300
MOVE_TIMEOUT = 180
WRITE_TIMEOUT = 600


def first_line(host, path):
    return host.check_output("head -n 1 %s", path).strip()


def by_path(portal, iqn, lun):
    return f"/dev/disk/by-path/ip-{portal}:3260-iscsi-{iqn}-lun-{lun}"


def lun_paths(initiator, san, lun=LUN):
    """{sdX: node} of the LUN through each node's portal on each link."""
    paths = {}
    for node, spec in san["nodes"].items():
        for portal in spec["addresses"]:
            link = initiator.file(by_path(portal, spec["target"], lun))
            assert link.is_symlink, f"no disk of LUN {lun} through {node} at {portal}"
            paths[link.linked_to.rsplit("/", 1)[1]] = node
    return paths


def the_map(initiator, devices):
    """multipathd's description (JSON) of the one map that holds DEVICES."""
    maps = json.loads(initiator.check_output("multipathd show maps json"))["maps"]
    found = [m for m in maps
             if {p["dev"] for g in m["path_groups"] for p in g["paths"]} & set(devices)]
    assert len(found) == 1, f"maps holding {sorted(devices)}: {[m['name'] for m in found]}"
    return found[0]


def path_view(mpath):
    """{sdX: (group dm state, group priority, checker state)} of a map's paths."""
    return {
        path["dev"]: (group["dm_st"], int(group["pri"]), path["chk_st"])
        for group in mpath["path_groups"]
        for path in group["paths"]
    }


def serving(initiator, paths, node):
    """Whether NODE's paths, and only those, are ready in the map's active group."""
    view = path_view(the_map(initiator, paths))
    if set(view) != set(paths):
        return False
    return all((view[dev][0] == "active" and view[dev][2] == "ready") == (owner == node)
               for dev, owner in paths.items())


def test_same_identity_on_both_nodes(nodes, san):
    """Each volume: the identifiers derived from its volume id, equal on both nodes."""
    for device in san["volumes"]:
        values = {
            name: {attr: first_line(host, f"{SYSFS}/devices/{device}/{attr}") for attr in IDENTITY}
            for name, host in nodes.items()
        }
        assert all(values["node-a"].values()), values
        assert values["node-a"] == values["node-b"], values
    record_measurement("verify identity", f"{len(san['volumes'])} volumes, {len(IDENTITY)} "
                       "identifiers each, equal on node-a and node-b")


def test_alua_layout_on_both_nodes(nodes, san):
    """Both nodes announce the same states: the active node's group active, the other standby."""
    for host in nodes.values():
        for node, spec in san["nodes"].items():
            path = f"{SYSFS}/device_groups/{san['device_group']}/target_groups/{spec['target_group']}/state"
            assert first_line(host, path) == ("active" if node == san["active"] else "standby")


def test_one_map_of_four_paths_per_volume(initiator, san):
    """Four paths per volume (two links to each node), in one map; the active
    node's two paths ready in the active group, the other node's two standby (ghost)."""
    descriptions = []
    for lun in range(len(san["volumes"])):
        paths = lun_paths(initiator, san, lun)
        assert len(paths) == 4 and sorted(paths.values()).count(san["active"]) == 2
        mpath = the_map(initiator, paths)
        view = path_view(mpath)
        assert set(view) == set(paths)
        for dev, node in paths.items():
            if node == san["active"]:
                assert view[dev][0] == "active" and view[dev][2] == "ready", view
            else:
                assert view[dev][2] == "ghost", view
        descriptions.append(f"LUN {lun}: map {mpath['name']} ({mpath['uuid']}), "
                            + ", ".join(f"{d} {paths[d]} {v[0]}/{v[2]}" for d, v in sorted(view.items())))
    assert len({d.split()[3] for d in descriptions}) == len(san["volumes"])
    record_measurement("verify paths", "; ".join(descriptions))


def switch(to, demoted):
    """playbooks/ha-switch.yml from the controller, as an operator runs it."""
    env = dict(os.environ, ANSIBLE_HOST_KEY_CHECKING="False")
    return subprocess.run(
        ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"],
         "-i", str(ROOT / "playbooks" / "inventory-ha"),
         "-e", f"san_ha_active_node={to}", "-e", f"san_ha_demoted_state={demoted}",
         str(ROOT / "playbooks" / "ha-switch.yml")],
        capture_output=True, text=True, timeout=SWITCH_TIMEOUT, env=env, check=False,
    )


def switch_during_write(initiator, san, to, demoted, label):  # pylint: disable=too-many-locals
    """Write WRITE_MIB MiB through the map of LUN while the volumes move to node TO."""
    paths = lun_paths(initiator, san)
    mpath = the_map(initiator, paths)
    device = f"/dev/mapper/{mpath['name']}"
    old = [dev for dev, node in paths.items() if node != to]
    new = [dev for dev, node in paths.items() if node == to]
    data = f"/var/tmp/lab-ha-{label}"
    written = initiator.check_output(
        "head -c %sM /dev/urandom | tee %s | sha256sum | cut -d' ' -f1", str(WRITE_MIB), data
    )
    initiator.run("rm -f /run/lab-write.rc /run/lab-write.err")
    initiator.check_output("echo 'lab: %s starts' >/dev/kmsg", label)
    old_before = {dev: io_sectors(initiator, dev)[1] for dev in old}
    new_before = {dev: io_sectors(initiator, dev)[1] for dev in new}
    initiator.check_output(
        "systemd-run --quiet --collect --unit lab-write-%s -p 'IOWriteBandwidthMax=%s %s' sh -c "
        "'dd if=%s of=%s bs=1M oflag=direct conv=fsync 2>/run/lab-write.err; "
        "echo $? >/run/lab-write.rc'", label, device, WRITE_RATE, data, device,
    )
    write_started = time.monotonic()
    wait_for("writes through the node giving the volumes up", 60,
             lambda: any(io_sectors(initiator, dev)[1] > old_before[dev] for dev in old))
    assert not initiator.file("/run/lab-write.rc").exists, "the write ended before the switch"

    switch_started = time.monotonic()
    result = switch(to, demoted)
    switch_seconds = time.monotonic() - switch_started
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    running_after_switch = not initiator.file("/run/lab-write.rc").exists

    _moved, moved_after = wait_for(
        f"writes through {to}'s paths", MOVE_TIMEOUT,
        lambda: any(io_sectors(initiator, dev)[1] > new_before[dev] for dev in new),
    )

    def write_exit_status():
        return initiator.run("cat /run/lab-write.rc").stdout.strip()

    rc_text, _seconds = wait_for("the write to end", WRITE_TIMEOUT, write_exit_status)
    write_wall = time.monotonic() - write_started
    _serving, serving_after = wait_for(
        f"{to}'s paths ready in the active group", MOVE_TIMEOUT, lambda: serving(initiator, paths, to)
    )
    dd_report = initiator.check_output("cat /run/lab-write.err")
    read_back = initiator.check_output(
        "dd if=%s bs=1M count=%s iflag=direct status=none | sha256sum | cut -d' ' -f1",
        device, str(WRITE_MIB),
    )
    kernel_log = initiator.check_output("dmesg")
    kernel_log = kernel_log[kernel_log.rfind(f"lab: {label} starts"):]
    initiator.run("rm -f %s", data)
    outcome = {
        "to": to, "demoted": demoted, "paths": paths, "dm": mpath["sysfs"], "rc": int(rc_text),
        "dd_report": dd_report, "written": written, "read_back": read_back,
        "running_after_switch": running_after_switch, "switch_seconds": switch_seconds,
        "new_written": sum(io_sectors(initiator, dev)[1] - new_before[dev] for dev in new) * 512,
        "kernel_log": kernel_log, "switch_output": result.stdout,
    }
    copied = re.search(r"^(\d+) bytes .* copied, ([\d.]+) s, (.*)$", dd_report, flags=re.M)
    record_measurement(
        f"verify {label}",
        f"ha-switch.yml to {to} ({demoted} for the other) took {switch_seconds:.1f} s during a "
        f"{WRITE_MIB} MiB write held to {WRITE_RATE}/s (write still running after it: "
        f"{running_after_switch}); first write through {to} {moved_after:.1f} s after the "
        f"playbook ended; {to}'s paths ready in the active group {serving_after:.1f} s after "
        f"the write ended",
    )
    record_measurement(
        f"verify {label} write",
        f"dd exit {outcome['rc']}, " + (
            f"{copied.group(1)} bytes in {copied.group(2)} s ({copied.group(3)})" if copied
            else " ".join(dd_report.strip().splitlines()[-1:])
        ) + f"; {write_wall:.1f} s wall; {outcome['new_written'] // MIB} MiB went through {to}; sha256 "
        f"{'equal' if written == read_back else 'DIFFERENT'} ({written[:16]}...)",
    )
    return outcome


@pytest.fixture(scope="module")
def failover(initiator, san):
    other = next(node for node in san["nodes"] if node != san["active"])
    return switch_during_write(initiator, san, other, "unavailable", "failover")


@pytest.fixture(scope="module")
def failback(failover, initiator, san):  # pylint: disable=redefined-outer-name,unused-argument
    return switch_during_write(initiator, san, san["active"], "standby", "failback")


def check_switch(outcome):
    assert outcome["running_after_switch"], "the write ended before the switch did"
    assert outcome["rc"] == 0, outcome["dd_report"]
    assert f"{WRITE_MIB * MIB} bytes" in outcome["dd_report"]
    assert outcome["read_back"] == outcome["written"]
    assert outcome["new_written"] > 0
    errors = [line for line in outcome["kernel_log"].splitlines()
              if re.search(r"error", line, flags=re.I) and re.search(rf"\b{outcome['dm']}\b", line)]
    assert not errors


def test_failover_under_write(failover):
    """To node-b during a write: no I/O error on the map, the data reads back, node-b took writes."""
    check_switch(failover)


def test_failover_states_saved_on_both_nodes(failover, nodes, san):
    for host in nodes.values():
        conf = host.file("/etc/scst.conf").content_string
        for node, spec in san["nodes"].items():
            block = conf[conf.index(f"TARGET_GROUP {spec['target_group']}"):]
            block = block[:block.index("}")]
            state = "active" if node == failover["to"] else failover["demoted"]
            assert f"state {state}" in block, block


def test_failback_under_write(failback):
    check_switch(failback)


def test_after_failback_the_layout_of_converge(failback, initiator, nodes, san):  # pylint: disable=unused-argument
    test_alua_layout_on_both_nodes(nodes, san)
    assert serving(initiator, failback["paths"], san["active"])
