"""Fixed texts the kernel prints: help of mgmt files, type names, trace levels.

Tools parse these texts (scstadmin reads the "The following parameters
available:" line and looks for ``add_device H:C:I:L`` to spot pass-through
handlers), so they are reproduced byte for byte from the live dump.
"""

# SCSI peripheral device type descriptions as SCST prints them in ``type``.
SCSI_TYPE_NAMES = [
    "Direct-access device (e.g., magnetic disk)",
    "Sequential-access device (e.g., magnetic tape)",
    "Printer device",
    "Processor device",
    "Write-once device (e.g., some optical disks)",
    "CD-ROM device",
    "Scanner device (obsolete)",
    "Optical memory device (e.g., some optical disks)",
    "Medium changer device (e.g., jukeboxes)",
    "Communications device (obsolete)",
    "Defined by ASC IT8 (Graphic arts pre-press devices)",
    "Defined by ASC IT8 (Graphic arts pre-press devices)",
    "Storage array controller device (e.g., RAID)",
    "Enclosure services device",
    "Simplified direct-access device (e.g., magnetic disk)",
    "Optical card reader/writer device",
]


def type_text(scsi_type: int) -> str:
    name = SCSI_TYPE_NAMES[scsi_type] if 0 <= scsi_type < len(SCSI_TYPE_NAMES) else "Unknown"
    return f"{scsi_type} - {name}\n"


_PARAMS_LINE = "where parameters are one or more param_name=value pairs separated by ';'\n"


def driver_style_help(usage_lines, extra_help_lines=(), following=()):
    """Help of handler/driver mgmt files (layout of spec Appendix B).

    ``usage_lines`` are the ``echo ... >mgmt`` commands, ``extra_help_lines``
    driver specific help (adds one more blank line), ``following`` the
    "The following ... available: ..." lines.
    """
    out = "Usage: " + "\n       ".join(usage_lines) + "\n"
    for line in extra_help_lines:
        out += line + "\n"
    out += "\n" + _PARAMS_LINE + "\n"
    if extra_help_lines:
        out += "\n"
    for line in following:
        out += line + "\n"
    return out + "\n"


def vdisk_handler_help(params) -> str:
    return driver_style_help(
        ['echo "add_device device_name [parameters]" >mgmt',
         'echo "del_device device_name" >mgmt'],
        following=["The following parameters available: " + ", ".join(params)],
    )


PASSTHROUGH_HELP = (
    'Usage: echo "add_device H:C:I:L" >mgmt\n'
    '       echo "del_device H:C:I:L" >mgmt\n'
)

ISCSI_MGMT_HELP = driver_style_help(
    ['echo "add_target target_name [parameters]" >mgmt',
     'echo "del_target target_name" >mgmt',
     'echo "add_attribute <attribute> <value>" >mgmt',
     'echo "del_attribute <attribute> <value>" >mgmt',
     'echo "add_target_attribute target_name <attribute> <value>" >mgmt',
     'echo "del_target_attribute target_name <attribute> <value>" >mgmt'],
    following=[
        "The following target driver attributes available: IncomingUser, OutgoingUser",
        "The following target attributes available: IncomingUser, OutgoingUser, allowed_portal",
    ],
)

# scst_local: the session commands are printed as "driver specific help", so
# the generic layout inserts one extra empty line before the parameter list.
SCST_LOCAL_MGMT_HELP = (
    'Usage: echo "add_target target_name [parameters]" >mgmt\n'
    '       echo "del_target target_name" >mgmt\n'
    '       echo "add_session target_name session_name" >mgmt\n'
    '       echo "del_session target_name session_name" >mgmt\n'
    "\n" + _PARAMS_LINE + "\n\n"
    "The following parameters available: session_name\n\n"
)

LUNS_MGMT_HELP = (
    'Usage: echo "add H:C:I:L lun [parameters]" >mgmt\n'
    '       echo "add VNAME lun [parameters]" >mgmt\n'
    '       echo "del lun" >mgmt\n'
    '       echo "replace H:C:I:L lun [parameters]" >mgmt\n'
    '       echo "replace VNAME lun [parameters]" >mgmt\n'
    '       echo "replace_no_ua H:C:I:L lun [parameters]" >mgmt\n'
    '       echo "replace_no_ua VNAME lun [parameters]" >mgmt\n'
    '       echo "clear" >mgmt\n'
    "\n" + _PARAMS_LINE + "\n"
    "The following parameters available: read_only\n"
)

INI_GROUPS_MGMT_HELP = (
    'Usage: echo "create GROUP_NAME" >mgmt\n'
    '       echo "del GROUP_NAME" >mgmt\n'
)

INITIATORS_MGMT_HELP = (
    'Usage: echo "add INITIATOR_NAME" >mgmt\n'
    '       echo "del INITIATOR_NAME" >mgmt\n'
    '       echo "move INITIATOR_NAME DEST_GROUP_NAME" >mgmt\n'
    '       echo "clear" >mgmt\n'
)

DEVICE_GROUPS_MGMT_HELP = (
    'Usage: echo "create group_name" >mgmt\n'
    '       echo "del group_name" >mgmt\n'
)
TARGET_GROUPS_MGMT_HELP = DEVICE_GROUPS_MGMT_HELP

DG_DEVICES_MGMT_HELP = (
    'Usage: echo "add device" >mgmt\n'
    '       echo "del device" >mgmt\n'
)

TG_MGMT_HELP = (
    'Usage: echo "add target" >mgmt\n'
    '       echo "del target" >mgmt\n'
)

# ------------------------------------------------------------ trace_level --

# Tokens in the order the kernel prints active ones (by flag value).
TRACE_PRINT_ORDER = [
    "out_of_mem", "minor", "sg", "mem", "buff", "entryexit", "pid", "line",
    "function", "debug", "special", "scsi", "mgmt", "mgmt_dbg",
    "flow_control", "pr", "retry", "scsi_serializing", "order", "d_write",
    "conn", "conn_dbg", "iov", "pdu", "net_page",
]

# Tokens advertised (and accepted) per kind of trace_level file, from the dump.
CORE_TRACE_TOKENS = ["function", "line", "pid", "out_of_mem", "special", "scsi",
                     "mgmt", "minor", "scsi_serializing", "retry", "pr"]
VDISK_TRACE_TOKENS = CORE_TRACE_TOKENS + ["order"]
ISCSI_TRACE_TOKENS = CORE_TRACE_TOKENS + ["d_write", "conn", "conn_dbg", "iov",
                                          "pdu", "net_page"]
DEFAULT_TRACE = frozenset({"out_of_mem", "pid", "special", "mgmt"})


def trace_level_text(active, tokens) -> str:
    first = " | ".join(t for t in TRACE_PRINT_ORDER if t in active)
    return (first + "\n\n\nUsage:\n"
            '\techo "all|none|default" >trace_level\n'
            '\techo "value DEC|0xHEX|0OCT" >trace_level\n'
            '\techo "add|del TOKEN" >trace_level\n'
            "\nwhere TOKEN is one of [" + ", ".join(tokens) + "]\n")


# ------------------------------------------------------------------ misc --

LATENCY_FILE_TEXT = "state count min max avg stddev\n"
LATENCY_SIZES = [512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072,
                 262144, 524288]

DIF_CHECKS_FAILED_TEXT = "\tapp\tref\tguard\ntgt\t0\t0\t0\nscst\t0\t0\t0\ndev\t0\t0\t0\n"

DIF_CAPABILITIES_TEXT = ("dif_supported, hw_dif_type1_supported, "
                         "hw_dif_type2_supported, hw_dif_type3_supported\n")

_SGV_SIZES = ["4K", "8K", "16K", "32K", "64K", "128K", "256K", "512K", "1024K",
              "2048K", "4096K"]


def sgv_stats_text(cache: str) -> str:
    """An all-zero statistics page of one SGV cache (layout as in the dump)."""
    lines = [f"{'Name':<31}{'Hit':<12}{'Total':<12}{'% merged':<12}Cached (P/I/O)",
             f"{cache:<31}{'0':<12}{'0':<12}{'0':<12}0/0/0"]
    for size in _SGV_SIZES:
        lines.append(f"  {cache + '-' + size:<29}{'0':<12}{'0':<12}0")
    lines.append(f"  {'big/other':<29}{'':<12}{'0/0':<12}0/0")
    return "\n".join(lines) + "\n"


SGV_GLOBAL_STATS_TEXT = "Inactive pages                             0\n"
