"""The lab's private links (tests/vm/lab.py): one by default, two on request.

A guest booted with links=2 gets a second NIC (eth2) on a second hub, with
the same host number on 192.168.78.0/24; guests of one link are unchanged.
The hubs run as the real processes the lab starts, and repeat frames only
between the guests of their own link.
"""

from __future__ import annotations

import importlib.util
import os
import pathlib
import signal
import socket
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _load_lab():
    spec = importlib.util.spec_from_file_location("scst_lab", ROOT / "tests" / "vm" / "lab.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


lab_py = _load_lab()


@pytest.fixture(name="lab")
def fixture_lab(tmp_path, monkeypatch):
    """A lab under a temporary cache, with an SSH public key in place."""
    monkeypatch.setattr(lab_py, "CACHE", tmp_path)
    monkeypatch.setenv("SCST_LAB_CACHE", str(tmp_path))
    one = lab_py.Lab("unit")
    one.dir.mkdir(parents=True)
    one.key_file.with_suffix(".pub").write_text("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFake unit\n")
    return one


def guest_state(slot, address, links):
    guest = {
        "slot": slot, "address": address, "ssh_port": 40000 + slot, "link_port": 41000 + slot,
        "links": links, "memory": 1024, "cpus": 2, "image": "nokey", "started": 0,
    }
    if links == 2:
        guest["link2_port"] = 42000 + slot
        guest["address2"] = lab_py.address_on_link(address, 2)
    return guest


@pytest.mark.parametrize(
    ("spec", "links"),
    [("target1", 1), ("target1,links=1", 1), ("target1,links=2", 2),
     ("target1=192.168.77.10,memory=2048,links=2", 2)],
)
def test_spec_links(spec, links):
    assert lab_py.parse_guest_spec(spec, 1024, 2)["links"] == links


def test_spec_links_default_from_option():
    assert lab_py.parse_guest_spec("initiator1", 1024, 2, links=2)["links"] == 2


@pytest.mark.parametrize("option", ["links=0", "links=3", "links=two", "links=-1", "link=2"])
def test_spec_bad_links(option):
    with pytest.raises(lab_py.LabError, match="links"):
        lab_py.parse_guest_spec(f"target1,{option}", 1024, 2)


@pytest.mark.parametrize(
    ("address", "link", "expected"),
    [("192.168.77.10/24", 1, "192.168.77.10/24"), ("192.168.77.10/24", 2, "192.168.78.10/24"),
     ("192.168.77.254/24", 2, "192.168.78.254/24")],
)
def test_address_on_link(address, link, expected):
    assert lab_py.address_on_link(address, link) == expected


def netdevs(cmd):
    return [cmd[i + 1] for i, arg in enumerate(cmd) if arg == "-netdev"]


def devices(cmd):
    return [cmd[i + 1] for i, arg in enumerate(cmd) if arg == "-device"]


def test_qemu_one_link_unchanged(lab, tmp_path):
    guest = guest_state(1, "192.168.77.10/24", 1)
    cmd = lab_py.qemu_command(lab, "target1", guest, {1: 50001}, tmp_path)
    sockets = [n for n in netdevs(cmd) if n.startswith("socket,")]
    assert sockets == ["socket,id=link,udp=127.0.0.1:50001,localaddr=127.0.0.1:41001"]
    append = cmd[cmd.index("-append") + 1]
    assert "lab.addr=192.168.77.10/24" in append.split()
    assert "lab.addr2" not in append


def test_qemu_two_links(lab, tmp_path):
    guest = guest_state(2, "192.168.77.20/24", 2)
    cmd = lab_py.qemu_command(lab, "initiator1", guest, {1: 50001, 2: 50002}, tmp_path)
    sockets = [n for n in netdevs(cmd) if n.startswith("socket,")]
    assert sockets == [
        "socket,id=link,udp=127.0.0.1:50001,localaddr=127.0.0.1:41002",
        "socket,id=link2,udp=127.0.0.1:50002,localaddr=127.0.0.1:42002",
    ]
    # eth0 management, eth1 the first link, eth2 the second: PCI order.
    nics = [d for d in devices(cmd) if d.startswith("virtio-net-pci")]
    assert [d.split(",")[1] for d in nics] == ["netdev=mgmt", "netdev=link", "netdev=link2"]
    assert nics[2].endswith("mac=52:54:00:4c:78:02")
    append = cmd[cmd.index("-append") + 1].split()
    assert "lab.addr=192.168.77.20/24" in append
    assert "lab.addr2=192.168.78.20/24" in append


def test_inventory_second_address_only_on_two_links(lab):
    state = {"guests": {"target1": guest_state(1, "192.168.77.10/24", 2),
                        "other1": guest_state(2, "192.168.77.20/24", 1)}}
    lab.write_client_files(state)
    # Hosts in name order: other1 (one link), then target1 (two).
    other_part, _sep, target_part = lab.inventory.read_text().partition("    target1:")
    assert "lab_address: 192.168.77.20" in other_part
    assert "lab_address2" not in other_part
    assert "lab_address: 192.168.77.10" in target_part
    assert "lab_address2: 192.168.78.10" in target_part


def receive(sock, timeout=3.0):
    sock.settimeout(timeout)
    try:
        return sock.recvfrom(65536)[0]
    except socket.timeout:
        return None


def port(sock):
    return sock.getsockname()[1]


def test_hubs_repeat_frames_on_their_own_link(lab):
    """The lab's two hub processes: separate ports, frames only among their link's guests."""
    bound = []

    def udp():
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        bound.append(sock)
        return sock

    two_a, two_b, one_a = udp(), udp(), udp()
    two_a_eth2, two_b_eth2 = udp(), udp()
    state = {"guests": {
        "a": dict(guest_state(1, "192.168.77.10/24", 2),
                  link_port=port(two_a), link2_port=port(two_a_eth2)),
        "b": dict(guest_state(2, "192.168.77.20/24", 2),
                  link_port=port(two_b), link2_port=port(two_b_eth2)),
        "c": dict(guest_state(3, "192.168.77.30/24", 1), link_port=port(one_a)),
    }}
    lab.save(state)
    pids = []
    try:
        hub1, hub2 = lab_py.ensure_hub(lab, 1), lab_py.ensure_hub(lab, 2)
        pids = [lab.hub_pid(1), lab.hub_pid(2)]
        assert hub1 != hub2
        assert None not in pids and pids[0] != pids[1]
        assert lab_py.ensure_hub(lab, 2) == hub2  # reused, not started twice
        broadcast = b"\xff" * 6 + b"\x52\x54\x00\x4c\x78\x01" + b"\x08\x00" + b"eth2 frame"
        two_a_eth2.sendto(broadcast, ("127.0.0.1", hub2))
        assert receive(two_b_eth2) == broadcast
        for sock in (two_a, two_b, one_a):
            assert receive(sock, timeout=0.5) is None
        first = b"\xff" * 6 + b"\x52\x54\x00\x4c\x77\x03" + b"\x08\x00" + b"eth1 frame"
        one_a.sendto(first, ("127.0.0.1", hub1))
        assert receive(two_a) == first and receive(two_b) == first
        assert receive(two_a_eth2, timeout=0.5) is None
    finally:
        lab.state_file.unlink()  # the hubs stop when their lab is gone
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and (lab.hub_pid(1) or lab.hub_pid(2)):
            time.sleep(0.1)
        for pid in filter(None, (lab.hub_pid(1), lab.hub_pid(2))):
            os.kill(pid, signal.SIGTERM)
        for sock in bound:
            sock.close()
    assert lab.hub_pid(1) is None and lab.hub_pid(2) is None


# Shared disks (shared=DISK): one raw file of the lab seen by several guests.


def drives(cmd):
    return [cmd[i + 1] for i, arg in enumerate(cmd) if arg == "-drive"]


def test_spec_without_shared_disks():
    assert lab_py.parse_guest_spec("node-a", 1024, 2)["shared"] == []


def test_spec_with_shared_disks_in_order():
    spec = lab_py.parse_guest_spec("node-a=192.168.77.11,memory=4096,links=2,shared=data0+data1",
                                   1024, 2)
    assert spec["shared"] == ["data0", "data1"]
    assert spec["memory"] == 4096 and spec["links"] == 2


@pytest.mark.parametrize("value", [
    "", "Data0", "data-0", "../x", "a/b", "data0+data0", "data0+", "x" * 17, "0data",
    "data 0", "d\n",
])
def test_bad_shared_disk_names_are_refused(value):
    with pytest.raises(lab_py.LabError, match="shared=DISK"):
        lab_py.parse_guest_spec(f"node-a,shared={value}", 1024, 2)


def test_qemu_attaches_each_shared_disk_writable_by_several_guests(lab, tmp_path):
    guest = dict(guest_state(3, "192.168.77.11/24", 1), shared=["data0", "data1"])
    cmd = lab_py.qemu_command(lab, "node-a", guest, {1: 50001}, tmp_path)
    files = [d for d in drives(cmd) if "id=shared-" in d]
    assert files == [
        f"file={lab.shared_disk('data0')},if=none,id=shared-data0,format=raw,cache=writeback",
        f"file={lab.shared_disk('data1')},if=none,id=shared-data1,format=raw,cache=writeback",
    ]
    blk = [d for d in devices(cmd) if d.startswith("virtio-blk-pci")]
    assert blk == [
        "virtio-blk-pci,drive=shared-data0,share-rw=on,serial=lab-data0,addr=0x10",
        "virtio-blk-pci,drive=shared-data1,share-rw=on,serial=lab-data1,addr=0x11",
    ]
    # the root disk stays the first one (vda); shared disks follow
    assert drives(cmd)[0].startswith(f"file={lab.guest_dir('node-a') / 'disk.qcow2'}")
    assert lab.shared_disk("data0").parent.parent == lab.dir


def test_qemu_without_shared_disks_has_only_the_root_disk(lab, tmp_path):
    guest = guest_state(1, "192.168.77.10/24", 1)
    cmd = lab_py.qemu_command(lab, "target1", guest, {1: 50001}, tmp_path)
    assert len(drives(cmd)) == 1
    assert not [d for d in devices(cmd) if d.startswith("virtio-blk-pci")]


@pytest.mark.parametrize("name", ["node-a\n", "Node", "-a", "a/b", "a" * 32])
def test_bad_guest_names_are_refused(name):
    with pytest.raises(lab_py.LabError, match="bad guest name"):
        lab_py.parse_guest_spec(name, 1024, 2)
