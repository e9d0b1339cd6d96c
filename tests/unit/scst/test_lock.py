"""The host lock: two runs at once serialise instead of interleaving."""

from __future__ import annotations

import threading
import time

import pytest

from ansible_collections.scst.iscsi.plugins.module_utils.scst.errors import LockTimeoutError
from ansible_collections.scst.iscsi.plugins.module_utils.scst.lock import HostLock, lock_path
from ansible_collections.scst.iscsi.plugins.module_utils.scst.runner import execute
from ansible_collections.scst.iscsi.plugins.module_utils.scst.target import TargetRequest, plan_target
from scst_emulator import InProcessBackend


def test_second_holder_waits_then_times_out_with_a_message(tmp_path):
    path = str(tmp_path / "scst.lock")
    with HostLock("/unused", path=path):
        started = time.monotonic()
        with pytest.raises(LockTimeoutError) as err:
            with HostLock("/unused", path=path, timeout=0.3):
                pass
        assert time.monotonic() - started >= 0.3
        assert "another scst.iscsi run holds" in str(err.value)
    with HostLock("/unused", path=path, timeout=0.3):
        pass


def test_lock_path_is_per_sysfs_tree(tmp_path):
    assert lock_path("/sys/kernel/scst_tgt").endswith("scst-iscsi.lock")
    assert lock_path(str(tmp_path / "a")) != lock_path(str(tmp_path / "b"))


def test_concurrent_runs_do_not_interleave(emu, tmp_path, monkeypatch):
    """Two runs configure different targets at once; with the lock each run's
    writes form one contiguous block in the emulator's write log."""
    backend = InProcessBackend(emu)
    log = []
    backend_write = backend.write

    def slow_write(rel, data):
        log.append(threading.current_thread().name)
        time.sleep(0.01)
        return backend_write(rel, data)

    monkeypatch.setattr(backend, "write", slow_write)
    params = {"sysfs_root": str(tmp_path / "scst_tgt")}
    results = {}

    def play(index):
        request = TargetRequest(name="iqn.2026-11.com.example:t%d" % index,
                                attributes={"QueuedCommands": 64, "NopInInterval": 5, "alias": "a"})
        results[index] = execute(params, lambda live: plan_target(live, request), check_mode=False,
                                 diff=False, warn=lambda text: None, backend=backend)

    threads = [threading.Thread(target=play, args=(i,), name="play%d" % i) for i in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(r["changed"] for r in results.values()), results
    assert len(log) == 8
    # the owner of the writes switches once: the runs did not interleave
    assert sum(1 for a, b in zip(log, log[1:]) if a != b) == 1
