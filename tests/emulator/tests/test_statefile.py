"""State dump/restore round trip."""

import json

from labsetup import build_lab
from scst_emulator import ScstEmulator
from scst_emulator import statefile


def _snapshot(emu, rel=""):
    out = {}
    for name in emu.listdir(rel):
        path = f"{rel}/{name}" if rel else name
        node = emu.node(path, follow=False)
        kind = type(node).__name__
        if kind == "Dir":
            out.update(_snapshot(emu, path))
        elif kind == "Link":
            out[path] = "->" + node.target
        elif node.mode & 0o444 and not path.endswith("last_sysfs_mgmt_res"):
            try:
                out[path] = emu.read(path)
            except Exception as exc:      # daemon files etc.
                out[path] = repr(exc)
    return out


def test_round_trip_through_json(tmp_path):
    lab = build_lab()
    path = str(tmp_path / "state.json")
    statefile.save(lab.state, path)
    json.loads(open(path).read())               # plain JSON
    clone = ScstEmulator()
    clone.config = lab.config
    clone.handlers = lab.handlers
    clone.state = statefile.load(path)
    assert _snapshot(clone) == _snapshot(lab)


def test_dump_is_json_serialisable(lab):
    text = json.dumps(lab.dump())
    assert "iqn.2026-11.test.lab:tgt1" in text
