"""Small helpers shared by the tests."""

import errno

from scst_emulator import ScstError


def err_of(emu, path, data):
    """errno name of a write ('OK' on success)."""
    try:
        emu.write(path, data)
        return "OK"
    except ScstError as exc:
        return errno.errorcode[exc.errno]


def read_err(emu, path):
    try:
        emu.read(path)
        return "OK"
    except ScstError as exc:
        return errno.errorcode[exc.errno]
