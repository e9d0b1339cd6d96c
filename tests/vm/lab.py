"""Lab of Debian guests under QEMU for the tests of scst.iscsi.

Real kernels for tests that change kernels, iSCSI sessions and block devices.
The guests run under QEMU's software emulation (TCG), so the lab needs neither
KVM nor kernel modules on the host.  Everything stays on the machine:

* each guest's management NIC is QEMU user networking with ``restrict=on``;
  sshd is reached through a port forward from 127.0.0.1;
* the guests share a private link (192.168.77.0/24, static addresses) made of
  QEMU ``socket`` netdevs that exchange Ethernet frames as UDP datagrams on
  127.0.0.1 through a small hub process of this lab;
* guests booted with ``links=2`` also share a second private link
  (192.168.78.0/24, eth2, the same host number as on the first) through a hub
  of its own: two independent paths between them, for multipath tests;
* guests booted with ``shared=NAME`` see the lab's shared disk NAME (a sparse
  raw file of the lab, attached with ``share-rw=on``) as a virtio disk with the
  serial ``lab-NAME``: storage that two target guests export together, for
  the HA tests (``shared=data0+data1`` for several).

State lives under ``.cache/vm`` (override: SCST_LAB_CACHE):

* ``images/KEY/``: the guest image, KEY being a hash of tests/vm/image/; a
  change to the recipe builds a new image, an unchanged recipe reuses it;
* ``labs/LAB/``: one lab (``--lab``, default ``default``): its SSH key,
  ssh_config, inventory.yml, and per guest a qcow2 overlay on the image, the
  QEMU pid file and the serial console log.

Run through ``scripts/lab``; ``scripts/lab --help`` lists the commands.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import ipaddress
import json
import os
import re
import select
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RECIPE_DIR = ROOT / "tests" / "vm" / "image"
CACHE = Path(os.environ.get("SCST_LAB_CACHE") or ROOT / ".cache" / "vm")

SUITE = "bookworm"
# The private links, eth1 and eth2 in the guests; a guest is on the first
# LINKS of them (links=N). Its address on a link has the same host number.
LINK_NETS = (ipaddress.ip_network("192.168.77.0/24"), ipaddress.ip_network("192.168.78.0/24"))
LINK_NET = LINK_NETS[0]
# Host key alias shared by every guest: the image's key is pinned under it.
HOST_KEY_ALIAS = "scst-lab-guest"
NAME_RE = re.compile(r"[a-z][a-z0-9-]{0,30}")
# A shared disk: its name (the guest sees /dev/disk/by-id/virtio-lab-NAME, and
# virtio serials hold 20 bytes) and its size (sparse; created by the first guest).
SHARED_RE = re.compile(r"[a-z][a-z0-9]{0,15}")
SHARED_SIZE = "1G"
# PCI slot of a guest's first shared disk; the next ones follow (q35 bus 0).
SHARED_SLOT = 0x10

BOOT_TIMEOUT = int(os.environ.get("SCST_LAB_BOOT_TIMEOUT", "420"))
DEFAULT_MEMORY = int(os.environ.get("SCST_LAB_MEMORY", "2048"))
DEFAULT_CPUS = int(os.environ.get("SCST_LAB_CPUS", "2"))
CONSOLE_TAIL = 40

# Host commands the lab needs and the Debian packages that provide them.
HOST_PACKAGES = {
    "qemu-system-x86_64": "qemu-system-x86",
    "qemu-img": "qemu-utils",
    "debootstrap": "debootstrap",
    "mkfs.ext4": "e2fsprogs",
    "ssh": "openssh-client",
    "ssh-keygen": "openssh-client",
}
DEBIAN_KEYRING = Path("/usr/share/keyrings/debian-archive-keyring.gpg")


class LabError(Exception):
    """A failure with a message for the operator; the driver exits 1."""


def log(msg: str) -> None:
    print(f"[lab {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def locked(path: Path):
    """Hold an exclusive flock on PATH (created if needed) for the block."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write_atomic(path: Path, text: str, mode: int = 0o644) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w") as handle:
        handle.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


# --------------------------------------------------------------------------
# Host dependencies


def ensure_host_packages(commands: list[str]) -> None:
    """Install the Debian packages providing COMMANDS when any is missing."""
    missing = sorted({HOST_PACKAGES[c] for c in commands if shutil.which(c) is None})
    if "debootstrap" in commands and not DEBIAN_KEYRING.exists():
        missing.append("debian-archive-keyring")
    if not missing:
        return
    if os.geteuid() != 0:
        raise LabError(
            f"missing host packages {' '.join(missing)}; install them as root: "
            f"apt-get install {' '.join(missing)}"
        )
    log(f"installing host packages: {' '.join(missing)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (
        ["apt-get", "-q", "update"],
        ["apt-get", "-q", "-y", "install", "--no-install-recommends", *missing],
    ):
        result = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            tail = "\n".join((result.stdout + result.stderr).splitlines()[-20:])
            raise LabError(f"{' '.join(cmd)} failed (exit {result.returncode}):\n{tail}")


def qemu_usable() -> None:
    """Fail with the reason when QEMU cannot run at all on this host."""
    ensure_host_packages(["qemu-system-x86_64", "qemu-img"])
    result = subprocess.run(
        ["qemu-system-x86_64", "-accel", "help"], capture_output=True, text=True, check=False
    )
    if result.returncode != 0 or "tcg" not in result.stdout:
        raise LabError(
            "qemu-system-x86_64 cannot run or has no TCG accelerator: "
            + (result.stderr.strip() or result.stdout.strip())
        )


# --------------------------------------------------------------------------
# Image


def recipe_key() -> str:
    """Hash of every file of the image recipe (path, exec bit, content)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in RECIPE_DIR.rglob("*") if p.is_file()):
        rel = path.relative_to(RECIPE_DIR).as_posix()
        executable = os.access(path, os.X_OK)
        digest.update(f"{rel}\0{int(executable)}\0".encode())
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def apt_source_entries() -> list[tuple[str, list[str], list[str]]]:
    """(URI, suites, components) of the host's enabled deb sources."""
    entries: list[tuple[str, list[str], list[str]]] = []
    files = [Path("/etc/apt/sources.list")]
    files += sorted(Path("/etc/apt/sources.list.d").glob("*.list"))
    files += sorted(Path("/etc/apt/sources.list.d").glob("*.sources"))
    for path in files:
        if not path.is_file():
            continue
        text = path.read_text(errors="replace")
        if path.suffix == ".sources":
            for paragraph in re.split(r"\n\s*\n", text):
                fields: dict[str, str] = {}
                for line in paragraph.splitlines():
                    if line.startswith("#") or ":" not in line:
                        continue
                    key, _sep, value = line.partition(":")
                    fields[key.strip().lower()] = value.strip()
                if fields.get("enabled", "yes").lower() == "no":
                    continue
                if "deb" not in fields.get("types", "").split():
                    continue
                for uri in fields.get("uris", "").split():
                    entries.append(
                        (uri, fields.get("suites", "").split(), fields.get("components", "").split())
                    )
        else:
            for line in text.splitlines():
                line = re.sub(r"\[[^\]]*\]", " ", line.split("#", 1)[0]).split()
                if len(line) >= 3 and line[0] == "deb":
                    entries.append((line[1], [line[2]], line[3:]))
    return entries


def debian_mirrors() -> tuple[str, str]:
    """The Debian mirror (and security mirror) to build the image from.

    Read from the host's apt configuration so that the image comes from the
    mirror this host is allowed to use; SCST_LAB_MIRROR and
    SCST_LAB_SECURITY_MIRROR override it.
    """
    mirror = os.environ.get("SCST_LAB_MIRROR", "")
    security = os.environ.get("SCST_LAB_SECURITY_MIRROR", "")
    entries = [e for e in apt_source_entries() if e[0].startswith(("http://", "https://"))]
    if not mirror:
        for uri, suites, components in entries:
            if SUITE in suites and "main" in components:
                mirror = uri
                break
    if not mirror:
        for uri, suites, components in entries:
            if "main" in components and any("-" not in s and "/" not in s for s in suites):
                mirror = uri
                break
    if not mirror:
        raise LabError(
            "no Debian mirror found in the host's apt sources; set SCST_LAB_MIRROR"
        )
    if not security:
        for uri, suites, _components in entries:
            if f"{SUITE}-security" in suites:
                security = uri
                break
    return mirror, security


def image_dir(key: str | None = None) -> Path:
    return CACHE / "images" / (key or recipe_key())


def ensure_image(force: bool = False) -> Path:
    """Return the cached image of the current recipe, building it if needed."""
    key = recipe_key()
    target = image_dir(key)
    if (target / "complete").exists() and not force:
        return target
    if os.geteuid() != 0:
        raise LabError("building the guest image needs root (debootstrap, chroot)")
    ensure_host_packages(["qemu-img", "debootstrap", "mkfs.ext4"])
    with locked(CACHE / "images" / ".lock"):
        if (target / "complete").exists():
            if not force:
                return target
            shutil.rmtree(target)
        work = target.with_name(key + ".build")
        mirror, security = debian_mirrors()
        log(f"building guest image {key} from {mirror} (recipe tests/vm/image)")
        work.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        with open(work / "build.log", "w") as build_log:
            proc = subprocess.Popen(
                ["bash", str(RECIPE_DIR / "build.sh"), str(work), mirror, security],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            assert proc.stdout is not None
            for line in proc.stdout:
                build_log.write(line)
                build_log.flush()
                sys.stderr.write(line)
            rc = proc.wait()
        seconds = time.monotonic() - started
        if rc != 0:
            raise LabError(f"image build failed (exit {rc}); log: {work / 'build.log'}")
        (work / "complete").write_text(f"built in {seconds:.0f} s\n")
        os.replace(work, target)
        log(f"image {key} built in {seconds:.0f} s")
        prune_images(keep=key)
        return target


def prune_images(keep: str) -> None:
    """Remove cached images other than KEEP that no lab's guest still uses."""
    in_use = {keep}
    for state_file in (CACHE / "labs").glob("*/lab.json"):
        with contextlib.suppress(OSError, ValueError):
            in_use |= {g["image"] for g in json.loads(state_file.read_text())["guests"].values()}
    for path in (CACHE / "images").iterdir():
        if path.is_dir() and path.name not in in_use and not path.name.endswith(".build"):
            log(f"removing unused image {path.name}")
            shutil.rmtree(path, ignore_errors=True)


# --------------------------------------------------------------------------
# Lab state


class Lab:
    def __init__(self, name: str):
        if not NAME_RE.fullmatch(name):
            raise LabError(f"bad lab name {name!r}: use lowercase letters, digits and '-'")
        self.name = name
        self.dir = CACHE / "labs" / name
        self.state_file = self.dir / "lab.json"
        self.key_file = self.dir / "id_ed25519"
        self.ssh_config = self.dir / "ssh_config"
        self.known_hosts = self.dir / "known_hosts"
        self.inventory = self.dir / "inventory.yml"

    # -- state file
    def load(self) -> dict:
        if self.state_file.exists():
            return json.loads(self.state_file.read_text())
        return {"guests": {}}

    def save(self, state: dict) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        write_atomic(self.state_file, json.dumps(state, indent=2, sort_keys=True) + "\n")

    def lock(self):
        return locked(self.dir / ".lock")

    def guest_dir(self, name: str) -> Path:
        return self.dir / "guests" / name

    def shared_disk(self, disk: str) -> Path:
        """The raw file of the lab's shared disk DISK (removed with the lab)."""
        return self.dir / "shared" / f"{disk}.img"

    # -- processes
    def guest_pid(self, name: str) -> int | None:
        """PID of the guest's QEMU, or None if it is not running."""
        pidfile = self.guest_dir(name) / "qemu.pid"
        return _live_pid(pidfile, marker=str(self.guest_dir(name)))

    def hub_file(self, link: int, suffix: str) -> Path:
        """hub.SUFFIX for the first link, hub2.SUFFIX for the second."""
        return self.dir / f"hub{'' if link == 1 else link}.{suffix}"

    def hub_pid(self, link: int = 1) -> int | None:
        return _live_pid(self.hub_file(link, "pid"), marker=f"--lab {self.name} hub --link {link} ")

    # -- SSH material
    def ensure_key(self) -> None:
        if not self.key_file.exists():
            self.dir.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"scst-lab-{self.name}",
                 "-f", str(self.key_file)],
                check=True,
            )

    def public_key_arg(self) -> str:
        kind, body = self.key_file.with_suffix(".pub").read_text().split()[:2]
        return f"{kind}:{body}"

    def ssh_base(self, name: str, timeout: int = 10) -> list[str]:
        return ["ssh", "-F", str(self.ssh_config), "-o", f"ConnectTimeout={timeout}", name]

    def write_client_files(self, state: dict) -> None:
        """ssh_config, known_hosts and inventory.yml for the running guests."""
        keys = set()
        for guest in state["guests"].values():
            pub = image_dir(guest["image"]) / "ssh_host_ed25519_key.pub"
            if pub.exists():
                keys.add(" ".join(pub.read_text().split()[:2]))
        write_atomic(
            self.known_hosts, "".join(f"{HOST_KEY_ALIAS} {k}\n" for k in sorted(keys))
        )
        common = [
            "User root",
            f"IdentityFile {self.key_file}",
            "IdentitiesOnly yes",
            f"UserKnownHostsFile {self.known_hosts}",
            f"HostKeyAlias {HOST_KEY_ALIAS}",
            "StrictHostKeyChecking yes",
            "HostKeyAlgorithms ssh-ed25519",
            "LogLevel ERROR",
            "ServerAliveInterval 15",
            "ServerAliveCountMax 4",
        ]
        config = [f"# lab {self.name}: written by scripts/lab up\n"]
        inventory = ["# Written by scripts/lab up; the lab's guests.\n", "all:\n  hosts:\n"]
        for name, guest in sorted(state["guests"].items()):
            config.append(f"Host {name}\n  HostName 127.0.0.1\n  Port {guest['ssh_port']}\n")
            config.extend(f"  {line}\n" for line in common)
            ssh_args = " ".join(
                shlex.quote(a)
                for a in (
                    "-o", f"UserKnownHostsFile={self.known_hosts}",
                    "-o", f"HostKeyAlias={HOST_KEY_ALIAS}",
                    "-o", "StrictHostKeyChecking=yes",
                    "-o", "HostKeyAlgorithms=ssh-ed25519",
                )
            )
            inventory.append(
                f"    {name}:\n"
                f"      ansible_host: 127.0.0.1\n"
                f"      ansible_port: {guest['ssh_port']}\n"
                f"      ansible_user: root\n"
                f"      ansible_ssh_private_key_file: {json.dumps(str(self.key_file))}\n"
                f"      ansible_ssh_common_args: {json.dumps(ssh_args)}\n"
                f"      ansible_python_interpreter: /usr/bin/python3\n"
                f"      lab_address: {guest['address'].split('/')[0]}\n"
            )
            if guest_links(guest) > 1:
                inventory.append(f"      lab_address2: {guest['address2'].split('/')[0]}\n")
        write_atomic(self.ssh_config, "".join(config))
        write_atomic(self.inventory, "".join(inventory))


def _live_pid(pidfile: Path, marker: str) -> int | None:
    try:
        pid = int(pidfile.read_text().split()[0])
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        zombie = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, ValueError, IndexError):
        return None
    return pid if marker in cmdline and not zombie else None


def free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def console_tail(path: Path, lines: int = CONSOLE_TAIL) -> str:
    try:
        text = path.read_bytes().decode(errors="replace")
    except OSError:
        return "(no console log)"
    # Strip terminal escapes (colours, cursor moves) from the serial output.
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\r", "", text)
    return "\n".join(text.splitlines()[-lines:])


# --------------------------------------------------------------------------
# The private link: a hub that repeats Ethernet frames between the guests'
# UDP sockets on 127.0.0.1 (QEMU's socket netdev, one frame per datagram).


def guest_links(guest: dict) -> int:
    """How many private links the guest is on (state of older labs: one)."""
    return int(guest.get("links", 1))


def link_port_key(link: int) -> str:
    """Key of a guest's UDP port on LINK in lab.json."""
    return "link_port" if link == 1 else f"link{link}_port"


def run_hub(lab: Lab, link: int = 1) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    write_atomic(lab.hub_file(link, "port"), f"{sock.getsockname()[1]}\n")
    port_key = link_port_key(link)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    peers: set[int] = set()
    stamp = None
    where: dict[bytes, int] = {}  # MAC -> port it was last seen on
    while True:
        try:
            mtime = lab.state_file.stat().st_mtime_ns
        except FileNotFoundError:
            return  # the lab is gone
        if mtime != stamp:
            stamp = mtime
            peers = {g[port_key] for g in lab.load()["guests"].values() if port_key in g}
        ready = select.select([sock], [], [], 1.0)[0]
        if not ready:
            continue
        frame, (host, port) = sock.recvfrom(65536)
        if host != "127.0.0.1" or port not in peers or len(frame) < 14:
            continue
        where[frame[6:12]] = port
        dest = frame[0:6]
        if not dest[0] & 1 and dest in where:  # known unicast address
            targets = [where[dest]] if where[dest] != port else []
        else:
            targets = [p for p in peers if p != port]
        for target in targets:
            with contextlib.suppress(OSError):
                sock.sendto(frame, ("127.0.0.1", target))


def ensure_hub(lab: Lab, link: int = 1) -> int:
    """UDP port of LINK's hub, started if it does not run."""
    port_file = lab.hub_file(link, "port")
    if lab.hub_pid(link) is not None:
        return int(port_file.read_text())
    port_file.unlink(missing_ok=True)
    with open(lab.hub_file(link, "log"), "a") as hub_log:
        proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--lab", lab.name, "hub",
             "--link", str(link)],
            stdin=subprocess.DEVNULL, stdout=hub_log, stderr=hub_log,
            start_new_session=True, cwd="/",
        )
    write_atomic(lab.hub_file(link, "pid"), f"{proc.pid}\n")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if port_file.exists():
            return int(port_file.read_text())
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    raise LabError(f"the hub of link {link} did not start; see {lab.hub_file(link, 'log')}")


# --------------------------------------------------------------------------
# Guests


def parse_guest_spec(spec: str, memory: int, cpus: int, links: int = 1) -> dict:
    """NAME[=ADDRESS][,memory=MiB][,cpus=N][,links=N][,shared=DISK[+DISK...]].

    -> {name, address, memory, cpus, links, shared}
    """
    head, *options = spec.split(",")
    name, _sep, addr = head.partition("=")
    if not NAME_RE.fullmatch(name):
        raise LabError(f"bad guest name {name!r}: lowercase letters, digits, '-'")
    guest = {"name": name, "address": None, "memory": memory, "cpus": cpus, "links": links,
             "shared": []}
    for option in options:
        key, _sep, value = option.partition("=")
        if key == "shared":
            disks = value.split("+")
            bad = [d for d in disks if not SHARED_RE.fullmatch(d)]
            if bad or len(set(disks)) != len(disks):
                raise LabError(
                    f"bad option {option!r} for {name}: shared=DISK[+DISK...], each DISK "
                    f"lowercase letters and digits (at most 16), none twice"
                )
            guest["shared"] = disks
            continue
        if key not in ("memory", "cpus", "links") or not value.isdigit() or int(value) < 1:
            raise LabError(
                f"bad option {option!r} for {name}: use memory=MiB, cpus=N, links=N "
                f"or shared=DISK[+DISK...]"
            )
        guest[key] = int(value)
    if guest["links"] > len(LINK_NETS):
        raise LabError(f"bad option links={guest['links']} for {name}: at most {len(LINK_NETS)}")
    if addr:
        try:
            iface = ipaddress.ip_interface(addr if "/" in addr else f"{addr}/{LINK_NET.prefixlen}")
        except ValueError as exc:
            raise LabError(f"bad address for {name}: {exc}") from None
        if iface.network != LINK_NET or iface.ip in (
            LINK_NET.network_address, LINK_NET.broadcast_address
        ):
            raise LabError(f"address of {name} must be a host of {LINK_NET}, got {addr}")
        guest["address"] = str(iface)
    return guest


def address_on_link(address: str, link: int) -> str:
    """The address with ADDRESS's host number on LINK (ADDRESS on the first link)."""
    host = int(ipaddress.ip_interface(address).ip) - int(LINK_NET.network_address)
    net = LINK_NETS[link - 1]
    return f"{net[host]}/{net.prefixlen}"


def qemu_command(lab: Lab, name: str, guest: dict, hub_ports: dict[int, int],
                 image: Path) -> list[str]:
    """QEMU's command line; HUB_PORTS maps each link of the guest to its hub's port."""
    gdir = lab.guest_dir(name)
    slot = guest["slot"]
    append = " ".join([
        "root=/dev/vda rw console=ttyS0 net.ifnames=0 panic=-1",
        f"lab.name={name}",
        f"lab.addr={guest['address']}",
        *([f"lab.addr2={guest['address2']}"] if guest_links(guest) > 1 else []),
        f"lab.key={lab.public_key_arg()}",
    ])
    # eth1, eth2, ...: NICs are numbered in PCI order, the order given here.
    links: list[str] = []
    for link in range(1, guest_links(guest) + 1):
        net_id = "link" if link == 1 else f"link{link}"
        links += [
            "-netdev", f"socket,id={net_id},udp=127.0.0.1:{hub_ports[link]},"
                       f"localaddr=127.0.0.1:{guest[link_port_key(link)]}",
            "-device", f"virtio-net-pci,netdev={net_id},"
                       f"mac=52:54:00:4c:{76 + link}:{slot:02x}",
        ]
    # Shared disks after the root disk (vdb, vdc, ...), named by their serial:
    # the kernel names virtio disks in PCI order and QEMU places if=virtio
    # drives after the -device ones, so the shared disks take fixed slots
    # above the automatic ones (root=/dev/vda stays the root disk).
    # share-rw lets several QEMU processes write the same file; no cache of
    # QEMU's own sits between them (the host's page cache is shared).
    shared: list[str] = []
    for index, disk in enumerate(guest.get("shared", [])):
        shared += [
            "-drive", f"file={lab.shared_disk(disk)},if=none,id=shared-{disk},format=raw,"
                      f"cache=writeback",
            "-device", f"virtio-blk-pci,drive=shared-{disk},share-rw=on,serial=lab-{disk},"
                       f"addr={SHARED_SLOT + index:#x}",
        ]
    return [
        "qemu-system-x86_64",
        "-name", f"{lab.name}/{name}",
        "-machine", "q35",
        "-accel", "tcg,thread=multi",
        "-smp", str(guest["cpus"]),
        "-m", str(guest["memory"]),
        "-nodefaults", "-no-user-config", "-display", "none", "-monitor", "none",
        "-kernel", str(image / "vmlinuz"),
        "-initrd", str(image / "initrd.img"),
        "-append", append,
        "-drive", f"file={gdir / 'disk.qcow2'},if=virtio,format=qcow2,cache=unsafe",
        *shared,
        "-netdev", f"user,id=mgmt,restrict=on,hostfwd=tcp:127.0.0.1:{guest['ssh_port']}-:22",
        "-device", f"virtio-net-pci,netdev=mgmt,mac=52:54:00:4c:00:{slot:02x}",
        *links,
        "-device", "virtio-rng-pci",
        "-serial", f"file:{gdir / 'console.log'}",
        "-pidfile", str(gdir / "qemu.pid"),
        "-daemonize",
    ]


def start_guest(lab: Lab, state: dict, spec: dict, image: Path, hub_ports: dict[int, int]) -> None:
    name, address, memory, cpus = spec["name"], spec["address"], spec["memory"], spec["cpus"]
    used_slots = {g["slot"] for g in state["guests"].values()}
    used_addrs = {g["address"].split("/")[0] for g in state["guests"].values()}
    slot = next(s for s in range(1, 250) if s not in used_slots)
    if address is None:
        candidates = (f"{LINK_NET[10 * n]}/{LINK_NET.prefixlen}" for n in range(slot, 25))
        address = next((a for a in candidates if a.split("/")[0] not in used_addrs), None)
        if address is None:
            raise LabError(f"no free address on {LINK_NET} for {name}; give NAME=ADDRESS")
    elif address.split("/")[0] in used_addrs:
        raise LabError(f"address {address} of {name} is already used in lab {lab.name}")
    gdir = lab.guest_dir(name)
    shutil.rmtree(gdir, ignore_errors=True)
    gdir.mkdir(parents=True)
    guest = {
        "slot": slot,
        "address": address,
        "ssh_port": free_port(socket.SOCK_STREAM),
        "link_port": free_port(socket.SOCK_DGRAM),
        "links": spec["links"],
        "shared": spec.get("shared", []),
        "memory": memory,
        "cpus": cpus,
        "image": image.name,
        "started": time.time(),
    }
    for link in range(2, spec["links"] + 1):
        guest[link_port_key(link)] = free_port(socket.SOCK_DGRAM)
        guest["address2" if link == 2 else f"address{link}"] = address_on_link(address, link)
    subprocess.run(
        ["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2",
         "-b", str(image / "rootfs.qcow2"), str(gdir / "disk.qcow2")],
        check=True,
    )
    for disk in guest["shared"]:  # the first guest that uses a shared disk creates it
        path = lab.shared_disk(disk)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(["qemu-img", "create", "-q", "-f", "raw", str(path), SHARED_SIZE],
                           check=True)
    # Register first: the hub only repeats frames between known ports.
    state["guests"][name] = guest
    lab.save(state)
    cmd = qemu_command(lab, name, guest, hub_ports, image)
    write_atomic(gdir / "qemu.cmd", shlex.join(cmd) + "\n")
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        del state["guests"][name]
        lab.save(state)
        shutil.rmtree(gdir, ignore_errors=True)
        raise LabError(
            f"qemu could not start {name} (exit {result.returncode}): "
            f"{(result.stderr or result.stdout).strip()}"
        )
    on_links = " and ".join(
        guest["address"] if link == 1 else guest["address2"]
        for link in range(1, guest_links(guest) + 1)
    )
    log(f"{name}: booting ({on_links} on the link{'s' if spec['links'] > 1 else ''}, "
        f"ssh 127.0.0.1:{guest['ssh_port']}, {memory} MiB, {cpus} vCPUs)")


def ssh_probe(lab: Lab, name: str, command: str = "true", timeout: int = 20) -> tuple[int, str]:
    try:
        result = subprocess.run(
            [*lab.ssh_base(name, timeout=5), command],
            capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, check=False,
        )
    except subprocess.TimeoutExpired:
        return 255, "timeout"
    return result.returncode, result.stdout.strip() or result.stderr.strip()


def wait_for_ssh(lab: Lab, names: list[str], timeout: int,
                 not_boot_id: dict[str, str] | None = None) -> None:
    """Wait until every guest answers over SSH (with a new boot id if given)."""
    started = time.monotonic()
    pending = list(names)
    last: dict[str, str] = {}
    while pending:
        for name in list(pending):
            if lab.guest_pid(name) is None:
                raise LabError(
                    f"{name}: QEMU exited while waiting for SSH; console tail:\n"
                    + console_tail(lab.guest_dir(name) / "console.log")
                )
            rc, out = ssh_probe(lab, name, "cat /proc/sys/kernel/random/boot_id")
            last[name] = out
            if rc == 0 and (not_boot_id is None or out != not_boot_id.get(name)):
                log(f"{name}: ssh up after {time.monotonic() - started:.0f} s")
                pending.remove(name)
        if not pending:
            break
        if time.monotonic() - started > timeout:
            details = "\n".join(
                f"--- {n}: last ssh answer: {last.get(n, '')}\n"
                + console_tail(lab.guest_dir(n) / "console.log")
                for n in pending
            )
            raise LabError(f"no SSH from {', '.join(pending)} within {timeout} s\n{details}")
        time.sleep(2)


def stop_guest(lab: Lab, name: str) -> None:
    pid = lab.guest_pid(name)
    if pid is not None:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        while lab.guest_pid(name) is not None and time.monotonic() < deadline:
            time.sleep(0.2)
        if lab.guest_pid(name) is not None:
            os.kill(pid, signal.SIGKILL)
            time.sleep(0.5)
    shutil.rmtree(lab.guest_dir(name), ignore_errors=True)


# --------------------------------------------------------------------------
# Commands


def cmd_image(lab: Lab, args) -> int:
    image = ensure_image(force=args.force)
    if args.prune:
        with locked(CACHE / "images" / ".lock"):
            prune_images(keep=image.name)
    print(image)
    return 0


def cmd_up(lab: Lab, args) -> int:
    specs = [parse_guest_spec(s, args.memory, args.cpus, args.links) for s in args.guests]
    if len({g["name"] for g in specs}) != len(specs):
        raise LabError("a guest name is given twice")
    qemu_usable()
    ensure_host_packages(["ssh", "ssh-keygen"])
    image = ensure_image()
    started = time.monotonic()
    booting: list[str] = []
    with lab.lock():
        lab.dir.mkdir(parents=True, exist_ok=True)
        lab.ensure_key()
        state = lab.load()
        for name in list(state["guests"]):  # forget guests whose QEMU died
            if lab.guest_pid(name) is None:
                log(f"{name}: not running any more, starting it afresh")
                shutil.rmtree(lab.guest_dir(name), ignore_errors=True)
                del state["guests"][name]
        lab.save(state)
        # One hub per link that a guest of this call is on; the second
        # link's hub runs only in labs that use it.
        hub_ports = {
            link: ensure_hub(lab, link) for link in range(1, max(s["links"] for s in specs) + 1)
        }
        for spec in specs:
            name = spec["name"]
            if name in state["guests"]:
                have = state["guests"][name]
                if spec["address"] not in (None, have["address"]):
                    raise LabError(f"{name} is already up with address {have['address']}")
                if spec["links"] != guest_links(have):
                    raise LabError(f"{name} is already up on {guest_links(have)} link(s)")
                if spec["shared"] != have.get("shared", []):
                    raise LabError(f"{name} is already up with shared disks "
                                   f"{have.get('shared', [])}")
                log(f"{name}: already up")
                continue
            start_guest(lab, state, spec, image, hub_ports)
            booting.append(name)
        lab.write_client_files(state)
    wait_for_ssh(lab, [g["name"] for g in specs], args.timeout)
    if booting:
        log(f"{len(booting)} guest(s) up in {time.monotonic() - started:.0f} s; "
            f"inventory: {lab.inventory}")
    return 0


def cmd_ssh(lab: Lab, args) -> int:
    if args.name not in lab.load()["guests"]:
        raise LabError(f"no guest {args.name} in lab {lab.name}")
    os.execvp("ssh", [*lab.ssh_base(args.name), *args.command])
    return 0  # not reached


def cmd_reboot(lab: Lab, args) -> int:
    state = lab.load()
    for name in args.names:
        if name not in state["guests"] or lab.guest_pid(name) is None:
            raise LabError(f"{name} is not running in lab {lab.name}")
    boot_ids = {}
    for name in args.names:
        rc, out = ssh_probe(lab, name, "cat /proc/sys/kernel/random/boot_id")
        if rc != 0:
            raise LabError(f"{name}: no SSH before reboot: {out}")
        boot_ids[name] = out
    started = time.monotonic()
    for name in args.names:
        log(f"{name}: reboot")
        # The connection drops as the guest goes down; its exit code is moot.
        ssh_probe(lab, name, "systemctl reboot", timeout=30)
    wait_for_ssh(lab, args.names, args.timeout, not_boot_id=boot_ids)
    log(f"rebooted in {time.monotonic() - started:.0f} s")
    return 0


def cmd_down(lab: Lab, args) -> int:
    if not lab.dir.exists():
        return 0
    with lab.lock():
        state = lab.load()
        names = args.names or sorted(state["guests"])
        for name in names:
            if name not in state["guests"]:
                log(f"{name}: not in lab {lab.name}")
                continue
            stop_guest(lab, name)
            del state["guests"][name]
            lab.save(state)
            log(f"{name}: down")
        if state["guests"]:
            lab.write_client_files(state)
            return 0
        for link in range(1, len(LINK_NETS) + 1):
            hub = lab.hub_pid(link)
            if hub is not None:
                os.kill(hub, signal.SIGTERM)
    # Nothing left: remove the lab, its key included.
    shutil.rmtree(lab.dir, ignore_errors=True)
    log(f"lab {lab.name} removed")
    return 0


def cmd_status(lab: Lab, args) -> int:
    labs = [lab] if not args.all else [
        Lab(p.name) for p in sorted((CACHE / "labs").glob("*")) if (p / "lab.json").exists()
    ]
    report = {}
    for one in labs:
        state = one.load()
        guests = {}
        for name, guest in sorted(state["guests"].items()):
            pid = one.guest_pid(name)
            guests[name] = dict(guest, running=pid is not None, pid=pid)
        report[one.name] = {
            "dir": str(one.dir),
            "inventory": str(one.inventory),
            "ssh_config": str(one.ssh_config),
            "identity_file": str(one.key_file),
            "hub_running": one.hub_pid() is not None,
            "hub2_running": one.hub_pid(2) is not None,
            "guests": guests,
        }
    if args.json:
        print(json.dumps(report, indent=2, sort_keys=True))
        return 0
    key = recipe_key()
    built = (image_dir(key) / "complete").exists()
    print(f"image {key}: {'built' if built else 'not built'} ({image_dir(key)})")
    for name, info in report.items():
        print(f"lab {name}: {info['dir']}")
        if not info["guests"]:
            print("  no guests")
        for gname, guest in info["guests"].items():
            state = "running" if guest["running"] else "STOPPED"
            link2 = f" link2 {guest['address2']}" if guest_links(guest) > 1 else ""
            print(f"  {gname:<16} {state:<8} ssh 127.0.0.1:{guest['ssh_port']:<6} "
                  f"link {guest['address']:<18} {guest['memory']} MiB{link2}")
    return 0


def cmd_console(lab: Lab, args) -> int:
    print(console_tail(lab.guest_dir(args.name) / "console.log", args.lines))
    return 0


def cmd_hub(lab: Lab, args) -> int:
    run_hub(lab, args.link)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/lab",
        description="Debian guests under QEMU (software emulation) for real-kernel tests.",
    )
    parser.add_argument("--lab", default=os.environ.get("SCST_LAB", "default"),
                        help="lab name: guests, key and inventory (default: %(default)s)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("image", help="build the guest image, or reuse the cached one")
    p.add_argument("--force", action="store_true", help="rebuild even if cached")
    p.add_argument("--prune", action="store_true",
                   help="remove other cached images that no guest uses (done after every build)")
    p.set_defaults(func=cmd_image)

    p = sub.add_parser("up", help="boot guests and wait for SSH")
    p.add_argument("guests", nargs="+",
                   metavar="NAME[=ADDRESS][,memory=MiB][,cpus=N][,links=N][,shared=DISK[+DISK]]",
                   help=f"guest name, optionally its address on {LINK_NET} (default: "
                        f".10, .20, ... in order of start), its size, its private links and "
                        f"the lab's shared disks it sees (virtio serial lab-DISK)")
    p.add_argument("--memory", type=int, default=DEFAULT_MEMORY, help="MiB per guest")
    p.add_argument("--cpus", type=int, default=DEFAULT_CPUS, help="vCPUs per guest")
    p.add_argument("--links", type=int, choices=range(1, len(LINK_NETS) + 1), default=1,
                   help=f"private links per guest: 1 ({LINK_NETS[0]}, eth1) or 2 "
                        f"(and {LINK_NETS[1]}, eth2, the same host number) (default: %(default)s)")
    p.add_argument("--timeout", type=int, default=BOOT_TIMEOUT, help="seconds to wait for SSH")
    p.set_defaults(func=cmd_up)

    p = sub.add_parser("ssh", help="open a shell or run a command on a guest")
    p.add_argument("name")
    p.add_argument("command", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_ssh)

    p = sub.add_parser("reboot", help="reboot guests from inside and wait for SSH")
    p.add_argument("names", nargs="+", metavar="NAME")
    p.add_argument("--timeout", type=int, default=BOOT_TIMEOUT, help="seconds to wait for SSH")
    p.set_defaults(func=cmd_reboot)

    p = sub.add_parser("down", help="stop guests (all: remove the lab)")
    p.add_argument("names", nargs="*", metavar="NAME")
    p.set_defaults(func=cmd_down)

    p = sub.add_parser("status", help="image and guests")
    p.add_argument("--json", action="store_true")
    p.add_argument("--all", action="store_true", help="every lab")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("console", help="tail of a guest's serial console")
    p.add_argument("name")
    p.add_argument("-n", "--lines", type=int, default=CONSOLE_TAIL)
    p.set_defaults(func=cmd_console)

    p = sub.add_parser("hub")  # internal: a private link's repeater
    p.add_argument("--link", type=int, choices=range(1, len(LINK_NETS) + 1), default=1)
    p.set_defaults(func=cmd_hub)

    args = parser.parse_args(argv)
    try:
        return args.func(Lab(args.lab), args)
    except LabError as exc:
        print(f"scripts/lab: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
