"""Private files (scst.conf, imported variables): a save killed half-way
leaves a temporary file that the next save removes, and a full disk leaves the
old file intact, no stray file and a clear error."""

from __future__ import annotations

import copy
import errno
import os
import signal
import stat
import subprocess
import sys
import textwrap

import pytest

from ansible_collections.scst.iscsi.plugins.module_utils.scst import files
from ansible_collections.scst.iscsi.plugins.module_utils.scst.errors import ScstError
from test_config import SAN

OLD, NEW = "old text\n", "new text\n"


def _leftovers(directory, name="scst.conf"):
    return sorted(n for n in os.listdir(directory) if n.startswith(".%s." % name))


def _killed_save(path):
    """A real process killed with SIGKILL between mkstemp and rename; its temp file stays."""
    script = textwrap.dedent("""
        import os, sys, time
        from ansible_collections.scst.iscsi.plugins.module_utils.scst import files

        def stuck(src, dst):
            print(src, flush=True)
            time.sleep(600)

        files.os.rename = stuck
        files.write_private(sys.argv[1], "secret text of the killed run\\n")
    """)
    proc = subprocess.Popen([sys.executable, "-c", script, str(path)], stdout=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    try:
        tmp = proc.stdout.readline().strip()
        assert tmp, "the child did not reach rename"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    return tmp


def test_a_save_killed_before_rename_leaves_a_temp_file_the_next_save_removes(tmp_path):
    path = tmp_path / "scst.conf"
    path.write_text(OLD)
    tmp = _killed_save(path)
    assert os.path.basename(tmp) in _leftovers(tmp_path)
    assert path.read_text() == OLD                     # the killed save did not touch the file
    files.write_private(str(path), NEW)
    assert path.read_text() == NEW and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert _leftovers(tmp_path) == []


def test_only_our_own_stale_temp_files_are_removed(tmp_path):
    path = tmp_path / "scst.conf"
    stale = tmp_path / ".scst.conf.ab12cd_9"           # what mkstemp makes for us
    stale.write_text("left by a killed run")
    others = {
        ".scst.conf.bak": "not a mkstemp name",
        ".scst.conf.ab12cd_9x": "one character too many",
        ".other.conf.ab12cd_9": "another file's temp",
        "scst.conf.ab12cd_9": "no leading dot",
    }
    for name, text in others.items():
        (tmp_path / name).write_text(text)
    foreign = tmp_path / ".scst.conf.zz12cd_9"
    foreign.write_text("somebody else's")
    os.chown(foreign, 65534, 65534)
    link = tmp_path / ".scst.conf.ln12cd_9"
    target = tmp_path / "precious"
    target.write_text("kept")
    link.symlink_to(target)
    os.mkdir(tmp_path / ".scst.conf.dir2cd_9")
    files.write_private(str(path), NEW)
    assert not stale.exists()
    for name in others:
        assert (tmp_path / name).exists(), name
    assert foreign.exists() and link.is_symlink() and target.read_text() == "kept"
    assert (tmp_path / ".scst.conf.dir2cd_9").is_dir()


def test_a_temp_file_being_written_by_a_live_save_is_left_alone(tmp_path):
    import fcntl

    busy = tmp_path / ".scst.conf.busy12_9"
    busy.write_text("a concurrent save is writing this")
    fd = os.open(busy, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)                 # what write_private holds while writing
        files.write_private(str(tmp_path / "scst.conf"), NEW)
        assert busy.exists()
    finally:
        os.close(fd)


def _disk_full(monkeypatch):
    real_fdopen = os.fdopen

    class Full(object):
        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def write(self, data):
            self.handle.write(data[:10])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def __getattr__(self, name):
            return getattr(self.handle, name)

    monkeypatch.setattr(files.os, "fdopen", lambda fd, mode: Full(real_fdopen(fd, mode)))
    return lambda: monkeypatch.setattr(files.os, "fdopen", real_fdopen)


def test_disk_full_keeps_the_old_file_and_leaves_no_stray_file(tmp_path, monkeypatch):
    path = tmp_path / "scst.conf"
    path.write_text(OLD)
    os.chmod(path, 0o600)
    freed = _disk_full(monkeypatch)
    with pytest.raises(ScstError) as err:
        files.write_private(str(path), NEW)
    assert "No space left on device" in str(err.value) and str(path) in str(err.value)
    assert "unchanged" in str(err.value)
    assert path.read_text() == OLD and _leftovers(tmp_path) == []
    freed()
    files.write_private(str(path), NEW)
    assert path.read_text() == NEW and _leftovers(tmp_path) == []


def test_scst_config_on_a_full_disk_reports_the_applied_change_and_reruns(run, tmp_path, monkeypatch):
    conf = tmp_path / "scst.conf"
    conf.write_text("# the configuration saved before\n")
    args = {"config": copy.deepcopy(SAN), "config_file": str(conf)}
    freed = _disk_full(monkeypatch)
    result = run("scst_config", args)
    assert result["failed"] is True and result["changed"] is True
    assert "No space left on device" in result["msg"] and str(conf) in result["msg"]
    assert conf.read_text() == "# the configuration saved before\n" and _leftovers(tmp_path) == []
    freed()
    again = run("scst_config", args)
    assert not again["failed"], again
    assert again["plan"] == [] and again["persisted"] is True and again["changed"] is True
    assert run("scst_config", args)["changed"] is False
    assert _leftovers(tmp_path) == []
