"""Plain data objects of the emulated SCST state.

Everything that the sysfs tree shows is derived from these objects; the tree
itself (``tree.py``) is computed on demand, so there is exactly one source of
truth.  The objects are dataclasses so that the whole state can be dumped to
JSON and restored (``statefile.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional


# ------------------------------------------------------------- static data --

@dataclass(frozen=True)
class HandlerInfo:
    """A registered device handler (static: comes from the configuration)."""

    name: str
    scsi_type: int
    virtual: bool
    params: tuple = ()          # advertised creation parameters (help text)
    enforce_params: bool = True  # vdisk_fileio accepts any known parameter
    default_threads: int = -1   # <0: no threads_num/threads_pool_type files
    trace_tokens: tuple = ()


@dataclass
class ScsiDeviceSpec:
    """A local SCSI device the "host" has (becomes ``devices/H:C:I:L``)."""

    hctl: str
    scsi_type: int
    handler: Optional[str] = None
    sysfs_link: Optional[str] = None


# ----------------------------------------------------------------- devices --

@dataclass
class Device:
    name: str
    handler: Optional[str]
    scsi_type: int
    virtual: bool
    # vdisk attribute values (name -> int/str/None), see vdisk.py
    attrs: dict = field(default_factory=dict)
    # attributes whose [key] mark depends on "was explicitly set"
    explicit: set = field(default_factory=set)
    export_counter: int = 0
    max_tgt_dev_commands: int = 64
    numa_node_id: int = -1
    threads_num: int = -1
    threads_pool_type: str = "per_initiator"
    pr_file_name: Optional[str] = None   # None: default path, not key
    block_count: int = 0
    scsi_link: Optional[str] = None      # pass-through: ``scsi_device`` link
    reexam_pending: bool = False         # vdisk created inactive: size read on activation


# -------------------------------------------------------------- LUN / ACL --

@dataclass
class Lun:
    device: str
    read_only: bool
    export_no: int


@dataclass
class AccessAttrs:
    """Attributes shared by a target and each of its initiator groups."""

    addr_method: str = "PERIPHERAL"
    io_grouping_type: str = "auto"
    black_hole: int = 0
    cpu_mask: Optional[int] = None   # None: all CPUs (the default)


@dataclass
class Group:
    name: str
    luns: dict = field(default_factory=dict)          # int -> Lun
    initiators: list = field(default_factory=list)    # ordered names/patterns
    access: AccessAttrs = field(default_factory=AccessAttrs)
    per_sess_dedicated_tgt_threads: int = 0


@dataclass
class Session:
    name: str          # directory name under sessions/
    initiator: str     # initiator name used for group matching
    ip: str = "192.0.2.20"
    target_ip: str = "192.0.2.10"
    sid: int = 0
    permanent: bool = False   # copy_manager_sess cannot be closed


# ------------------------------------------------------------------ iSCSI --

@dataclass
class ChapUser:
    sysfs_name: str
    user: str
    secret: str


@dataclass
class Portal:
    sysfs_name: str
    pattern: str


@dataclass
class IscsiTargetData:
    """Per-target state that lives in iscsi-scstd, not in the kernel."""

    tid: int
    params: dict = field(default_factory=dict)     # param name -> str value
    per_portal_acl: int = 0
    redirect: str = ""
    alias: str = ""
    incoming: list = field(default_factory=list)   # [ChapUser]
    outgoing: list = field(default_factory=list)   # [ChapUser] (max one)
    portals: list = field(default_factory=list)    # [Portal]


@dataclass
class IscsiDaemon:
    running: bool = True        # iscsi-scstd holds the control device
    attrs: bool = True          # daemon-created sysfs attributes exist
    enabled: int = 0
    isns_server: str = ""
    isns_access_control: bool = False
    isns_entity_name: str = ""
    link_local: int = 1
    internal_portal: str = ""
    incoming: list = field(default_factory=list)   # discovery [ChapUser]
    outgoing: list = field(default_factory=list)
    next_tid: int = 1
    next_sid: int = 1


# ---------------------------------------------------------------- targets --

@dataclass
class Target:
    driver: str
    name: str
    enabled: bool = False
    rel_tgt_id: int = 0
    comment: str = ""
    access: AccessAttrs = field(default_factory=AccessAttrs)
    forward_src: int = 0
    forward_dst: int = 0
    aen_disabled: int = 0
    luns: dict = field(default_factory=dict)       # int -> Lun
    groups: dict = field(default_factory=dict)     # name -> Group (ordered)
    sessions: dict = field(default_factory=dict)   # dir name -> Session
    iscsi: Optional[IscsiTargetData] = None
    scsi_transport_version: int = 0                # scst_local only
    phys_transport_version: int = 0

    @property
    def sysfs_name(self) -> str:
        # The kobject layer turns '/' into '!' in directory names.
        return self.name.replace("/", "!")


# ------------------------------------------------------------------- ALUA --

@dataclass
class TgMember:
    name: str
    local_driver: Optional[str] = None   # driver of a local target, else remote
    rel_tgt_id: int = 0                  # remote members only


@dataclass
class TargetGroup:
    name: str
    group_id: int = 0
    preferred: int = 0
    state: str = "active"
    members: dict = field(default_factory=dict)   # name -> TgMember


@dataclass
class DeviceGroup:
    name: str
    devices: list = field(default_factory=list)
    target_groups: dict = field(default_factory=dict)


# ------------------------------------------------------------------ global --

@dataclass
class GlobalState:
    setup_id: int = 0
    threads: int = 2
    max_tasklet_cmd: int = 10
    poll_us: int = 0
    suspend_count: int = 0
    measure_latency: int = 0
    async_lun_replace: int = 0
    force_global_sgv_pool: int = 0
    cluster_name: str = ""
    last_res: int = 0
    cm_next_lun: int = 0
    next_rel_tgt_id: int = 1
    allow_not_connected_copy: int = 0
    trace: dict = field(default_factory=dict)   # trace_level path -> set


@dataclass
class State:
    globals: GlobalState = field(default_factory=GlobalState)
    devices: dict = field(default_factory=dict)       # name -> Device
    targets: dict = field(default_factory=dict)       # driver -> {name: Target}
    iscsi: IscsiDaemon = field(default_factory=IscsiDaemon)
    device_groups: dict = field(default_factory=dict)  # name -> DeviceGroup
