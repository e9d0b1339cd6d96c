"""CRC-32C (Castagnoli) as the Linux ``crc32c(seed, data, len)`` helper computes it.

SCST derives default vdisk identifiers from ``crc32c(0, name, strlen(name)+1)``:
seed 0, reflected polynomial 0x82F63B78 and *no* final inversion.  Verified
against the live dump (``blk1`` -> ``a8c1657``).
"""

_POLY = 0x82F63B78


def _make_table():
    table = []
    for i in range(256):
        c = i
        for _bit in range(8):
            c = (c >> 1) ^ _POLY if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _make_table()


def crc32c(data: bytes, seed: int = 0) -> int:
    crc = seed & 0xFFFFFFFF
    for byte in data:
        crc = _TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc


def device_id_hex(name: str, setup_id: int) -> str:
    """The ``<hex>`` prefix of default t10_dev_id/usn for a vdisk name."""
    value = (setup_id << 32) | crc32c(name.encode() + b"\0")
    return format(value, "x")
