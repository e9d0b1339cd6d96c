"""Every unit test sees syslog as Python 3.12 and later have it."""

import syslog

import pytest


@pytest.fixture(autouse=True)
def syslog_refuses_nul(monkeypatch):
    """From Python 3.12 on, syslog.syslog raises ValueError for a NUL (3.11
    passes it on); AnsibleModule logs its arguments there when it starts. The
    hostile-input tests must see what the newer Pythons do, on every Python."""
    real = syslog.syslog

    def strict(*args):
        if any("\x00" in arg for arg in args if isinstance(arg, str)):
            raise ValueError("embedded null character")
        return real(*args)

    monkeypatch.setattr(syslog, "syslog", strict)
