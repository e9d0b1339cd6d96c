"""In-process backend: the emulator behind the collection's sysfs I/O contract.

The module code (``plugins/module_utils``) talks to sysfs through an object
with the methods below; unit tests hand it an :class:`InProcessBackend`
instead of the real os-based one.  Paths are relative to the sysfs root,
'/'-separated, '' is the root.  Errors are ``OSError(errno, strerror, path)``
exactly as the real backend would raise them.  The signature is a contract.
"""

from __future__ import annotations

from .errors import ScstError


class InProcessBackend:
    def __init__(self, emulator):
        self.emulator = emulator

    def _call(self, fn, rel, *args):
        try:
            return fn(rel, *args)
        except ScstError as exc:
            raise exc.to_oserror(rel) from None

    def read(self, rel: str) -> str:
        """Whole content of a file (EACCES without read bit, EISDIR, ENOENT)."""
        return self._call(self.emulator.read, rel)

    def write(self, rel: str, data: str) -> None:
        """One write(2) = one command (EACCES without write bit)."""
        self._call(self.emulator.write, rel, data)

    def listdir(self, rel: str) -> list:
        return self._call(self.emulator.listdir, rel)

    def scan(self, rel: str) -> dict:
        """``{name: (kind, mode)}``: kind ``dir``, ``link`` or ``file``, mode the
        permission bits of a file (0 otherwise), as os.scandir and lstat see them."""
        return self._call(self.emulator.scan, rel)

    def readlink(self, rel: str) -> str:
        return self._call(self.emulator.readlink, rel)

    def is_dir(self, rel: str) -> bool:
        return self.emulator.is_dir(rel)

    def exists(self, rel: str) -> bool:
        """lexists semantics: a symlink counts even if it dangles."""
        return self.emulator.exists(rel)
