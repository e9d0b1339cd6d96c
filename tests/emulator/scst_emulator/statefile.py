"""JSON encoding of the emulator state (for ``dump`` and ``--state-file``).

Dataclasses are written as objects tagged with ``"__type__"``; dicts with
integer keys (LUN numbers) and sets get small tags as well, so that
:func:`state_from_json` can rebuild exactly the same objects.
"""

from __future__ import annotations

import dataclasses
import json

from . import model

_TYPES = {cls.__name__: cls for cls in vars(model).values()
          if isinstance(cls, type) and dataclasses.is_dataclass(cls)}


def _encode(obj):
    if dataclasses.is_dataclass(obj):
        out = {"__type__": type(obj).__name__}
        for f in dataclasses.fields(obj):
            out[f.name] = _encode(getattr(obj, f.name))
        return out
    if isinstance(obj, (set, frozenset)):
        return {"__set__": sorted(_encode(v) for v in obj)}
    if isinstance(obj, dict):
        if all(isinstance(k, str) for k in obj):
            return {"__dict__": {k: _encode(v) for k, v in obj.items()}}
        return {"__intdict__": [[k, _encode(v)] for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        return [_encode(v) for v in obj]
    return obj


def _decode(obj):
    if isinstance(obj, list):
        return [_decode(v) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if "__type__" in obj:
        cls = _TYPES[obj["__type__"]]
        kwargs = {k: _decode(v) for k, v in obj.items() if k != "__type__"}
        return cls(**kwargs)
    if "__set__" in obj:
        return set(_decode(v) for v in obj["__set__"])
    if "__intdict__" in obj:
        return {k: _decode(v) for k, v in obj["__intdict__"]}
    if "__dict__" in obj:
        return {k: _decode(v) for k, v in obj["__dict__"].items()}
    return {k: _decode(v) for k, v in obj.items()}


def state_to_json(state: model.State) -> dict:
    return _encode(state)


def state_from_json(data: dict) -> model.State:
    return _decode(data)


def save(state: model.State, path: str) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(state_to_json(state), fh, indent=1, sort_keys=True)
    import os
    os.replace(tmp, path)


def load(path: str) -> model.State:
    with open(path, encoding="utf-8") as fh:
        return state_from_json(json.load(fh))
