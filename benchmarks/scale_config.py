"""Configurations of a given size for the scale benchmark."""

from __future__ import annotations


def san(*, devices=1000, luns=1000, targets=100, groups=100, initiators=500):
    """``devices`` nullio devices; ``luns`` LUNs spread over the targets' groups
    (and default sets when there are fewer groups than targets); ``initiators``
    spread over the groups; one CHAP user per target."""
    handlers = {"vdisk_nullio": {"devices": dict(
        ("dev%05d" % i, {"attributes": {"size_mb": "1024"}}) for i in range(devices))}}
    target_map = {}
    names = ["iqn.2026-11.com.example:bench.t%03d" % t for t in range(targets)]
    group_names = [(names[g % targets], "g%03d" % g) for g in range(groups)]
    for name in names:
        target_map[name] = {"enabled": True, "attributes": {"QueuedCommands": "64"},
                            "chap": {"incoming": [{"username": "u" + name[-4:], "password": "bench-secret-" + name[-4:]}]},
                            "luns": {}, "groups": {}}
    for target, group in group_names:
        target_map[target]["groups"][group] = {"initiators": [], "luns": {}}
    for i in range(initiators):
        target, group = group_names[i % groups] if groups else (None, None)
        if group:
            target_map[target]["groups"][group]["initiators"].append(
                "iqn.2026-11.com.example:host%04d" % i)
    sets = list(group_names) or [(n, None) for n in names]
    for i in range(luns):
        target, group = sets[i % len(sets)]
        where = target_map[target]["groups"][group] if group else target_map[target]
        where["luns"][len(where["luns"])] = {"device": "dev%05d" % (i % devices)}
    return {"handlers": handlers, "drivers": {"iscsi": {"enabled": True, "targets": target_map}}}


def minimal_writes(config):
    """The fewest management writes that create ``config`` from nothing: one per
    object, one per non-default attribute value, one per enable switch."""
    count = 0
    for handler in config["handlers"].values():
        count += len(handler["devices"])          # add_device carries its parameters
    driver = config["drivers"]["iscsi"]
    count += 1 if driver.get("enabled") else 0
    for target in driver["targets"].values():
        count += 1                                  # add_target
        count += len(target.get("attributes", {}))  # non-default values only in these configs
        count += len(target.get("chap", {}).get("incoming", []))
        count += len(target["luns"])
        count += 1 if target.get("enabled") else 0
        for group in target["groups"].values():
            count += 1 + len(group["luns"]) + len(group["initiators"])
    return count
