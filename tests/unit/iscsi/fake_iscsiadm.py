# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A stand-in for iscsiadm that keeps its state in a JSON file, for running
the initiator modules through Ansible on a machine without open-iscsi.

It answers the subset of iscsiadm the modules use, with the texts and exit
codes of open-iscsi 2.1.8 (see fixtures/README.md), and behaves like it
where the modules depend on it: discovery without an op rewrites existing
node records from the defaults, ``-o new`` leaves them alone; a login checks
CHAP against the target (exit 24), finds an existing session (exit 15);
passwords are masked in ``-o show`` unless ``-S`` is given.

State file: $FAKE_ISCSIADM_STATE. Targets and their CHAP accounts are set
up by the test in ``targets`` and ``discovery_chap``; every call is appended
to ``calls``.

Ifaces (``-m iface``) live in ``ifaces``. A node record of the iface
``default`` is keyed ``target|portal``, one of another iface
``target|portal|iface``. As in open-iscsi, ``-I`` selects the records of one
iface, a node command without it acts on every record of the target portal,
and a discovery without ``-I`` binds new records to every tcp iface there is,
or to ``default`` when there is none.
"""

from __future__ import annotations

import json
import os
import sys

DEFAULT_NODE = {
    "node.startup": "manual",
    "node.leading_login": "No",
    "iface.iscsi_ifacename": "default",
    "iface.transport_name": "tcp",
    "node.discovery_address": "",
    "node.discovery_port": "0",
    "node.discovery_type": "static",
    "node.session.auth.authmethod": "None",
    "node.session.auth.username": "",
    "node.session.auth.password": "",
    "node.session.auth.username_in": "",
    "node.session.auth.password_in": "",
    "node.session.timeo.replacement_timeout": "120",
    "node.session.iscsi.InitialR2T": "No",
    "node.conn[0].startup": "manual",
    "node.conn[0].timeo.login_timeout": "15",
}
DEFAULT_DISCOVERY = {
    "discovery.startup": "manual",
    "discovery.type": "sendtargets",
    "discovery.sendtargets.auth.authmethod": "None",
    "discovery.sendtargets.auth.username": "",
    "discovery.sendtargets.auth.password": "",
    "discovery.sendtargets.auth.username_in": "",
    "discovery.sendtargets.auth.password_in": "",
}
SECRETS = ("password", "password_in")


class Exit(Exception):
    def __init__(self, rc, err=""):
        super().__init__(rc)
        self.rc = rc
        self.err = err


def portal_key(text):
    if "," in text:
        text = text.rsplit(",", 1)[0]
    if text.startswith("["):
        return text if "]:" in text else text + ":3260"
    return text if text.count(":") == 1 else text + ":3260"


def node_key(target, portal, iface):
    return "|".join((target, portal) if iface == "default" else (target, portal, iface))


def split_key(key):
    parts = key.split("|")
    return parts[0], parts[1], parts[2] if len(parts) > 2 else "default"


def new_node(target, tpgt, portal, *, discovered, iface="default"):
    address, port = portal.rsplit(":", 1)
    record = {"node.name": target, "node.tpgt": str(tpgt)}
    record.update(DEFAULT_NODE)
    record["iface.iscsi_ifacename"] = iface
    record.update({"node.conn[0].address": address.strip("[]"), "node.conn[0].port": port})
    if discovered:
        record.update({"node.discovery_address": address.strip("[]"), "node.discovery_port": port,
                       "node.discovery_type": "send_targets"})
    return record


def show(record, secrets):
    lines = ["# BEGIN RECORD 2.1.8"]
    for name, value in record.items():
        if not secrets and name.rsplit(".", 1)[-1] in SECRETS and value:
            value = "********"
        lines.append("{0} = {1}".format(name, value if value != "" else "<empty>"))
    lines.append("# END RECORD")
    return "\n".join(lines) + "\n"


def options(argv):
    opts = {"ops": []}
    flags = {"-S": "secrets", "--login": "login", "--logout": "logout", "--rescan": "rescan",
             "--discover": "discover", "--version": "version"}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in flags:
            opts[flags[arg]] = True
            i += 1
            continue
        value = argv[i + 1]
        if arg == "-o":
            opts["ops"].append(value)
        else:
            opts[{"-m": "mode", "-T": "target", "-p": "portal", "-n": "name", "-v": "value", "-t": "type",
                  "-P": "print", "-r": "sid", "-I": "iface"}[arg]] = value
        i += 2
    return opts


def node_cmd(state, opts, out):
    if "target" not in opts:
        if not state["nodes"]:
            raise Exit(21, "iscsiadm: No records found\n")
        last = None
        for key in sorted(state["nodes"], key=split_key):
            target, portal, iface = split_key(key)
            if opts.get("print") == "1":
                if target != last:
                    out.append("Target: {0}".format(target))
                out.extend(["\tPortal: {0},{1}".format(portal, state["nodes"][key]["node.tpgt"]),
                            "\t\tIface Name: {0}".format(iface)])
                last = target
            else:
                out.append("{0},{1} {2}".format(portal, state["nodes"][key]["node.tpgt"], target))
        return
    target, portal = opts["target"], portal_key(opts["portal"])
    keys = [key for key in sorted(state["nodes"]) if split_key(key)[:2] == (target, portal)
            and ("iface" not in opts or split_key(key)[2] == opts["iface"])]
    if "new" in opts["ops"]:
        iface = opts.get("iface", "default")
        record = new_node(target, -1, portal, discovered=False, iface=iface)
        state["nodes"][node_key(target, portal, iface)] = record
        out.append("New iSCSI node [tcp:[hw=,ip=,net_if=,iscsi_if={2}] {0},-1 {1}] added".format(
            portal.replace(":", ","), target, iface))
        return
    if not keys:
        raise Exit(21, "iscsiadm: No records found\n")
    if len(keys) > 1 and (opts.get("login") or opts.get("logout") or "update" in opts["ops"]
                          or "delete" in opts["ops"]):
        for key in keys:  # iscsiadm acts on every matching record, one at a time
            node_cmd(state, dict(opts, iface=split_key(key)[2]), out)
        return
    if len(keys) > 1:
        out.extend(show(state["nodes"][key], opts.get("secrets")).rstrip("\n") for key in keys)
        return
    key = keys[0]
    iface = split_key(key)[2]
    record = state["nodes"][key]
    session = next((s for s in state["sessions"] if s["target"] == target and s["portal"] == portal
                    and s.get("iface", "default") == iface), None)
    if "update" in opts["ops"]:
        record[opts["name"]] = opts["value"]
    elif "delete" in opts["ops"]:
        if session is not None:
            raise Exit(15, "iscsiadm: This command will remove the record [iface: {2}, target: {0}, portal: "
                           "{1}], but a session is using it. Logout session then rerun command to remove "
                           "record.\n".format(target, portal, iface))
        del state["nodes"][key]
    elif opts.get("login"):
        where = "[iface: {2}, target: {0}, portal: {1}]".format(target, portal.replace(":", ","), iface)
        if session is not None:
            raise Exit(15, "iscsiadm: {0}: 1 session requested, but 1 already present.\n".format(iface))
        out.append("Logging in to " + where)
        account = state["targets"].get(portal, {}).get(target)
        if account is None:
            raise Exit(8, "iscsiadm: Could not login to {0}.\niscsiadm: initiator reported error (8 - connection "
                          "timed out)\niscsiadm: Could not log into all portals\n".format(where))
        wanted = account.get("chap")
        given = [record["node.session.auth.username"], record["node.session.auth.password"]]
        if wanted and (record["node.session.auth.authmethod"] != "CHAP" or given != wanted):
            raise Exit(24, "iscsiadm: Could not login to {0}.\niscsiadm: initiator reported error (24 - iSCSI "
                           "login failed due to authorization failure)\niscsiadm: Could not log into all "
                           "portals\n".format(where))
        state["next_sid"] = state.get("next_sid", 0) + 1
        state["sessions"].append({"sid": state["next_sid"], "target": target, "portal": portal,
                                  "tpgt": record["node.tpgt"], "iface": iface})
        out.append("Login to {0} successful.".format(where))
    elif opts.get("logout"):
        if session is None:
            raise Exit(21, "iscsiadm: No matching sessions found\n")
        state["sessions"].remove(session)
        out.append("Logout of [sid: {0}, target: {1}, portal: {2}] successful.".format(
            session["sid"], target, portal.replace(":", ",")))
    else:
        out.append(show(record, opts.get("secrets")).rstrip("\n"))


def session_cmd(state, opts, out):
    if not state["sessions"]:
        raise Exit(21, "iscsiadm: No active sessions.\n")
    if opts.get("rescan"):
        session = next(s for s in state["sessions"] if str(s["sid"]) == opts["sid"])
        out.append("Rescanning session [sid: {0}, target: {1}, portal: {2}]".format(
            session["sid"], session["target"], session["portal"].replace(":", ",")))
        return
    for session in state["sessions"]:
        if opts.get("print") == "1":
            out.extend(["Target: {0} (non-flash)".format(session["target"]),
                        "\tCurrent Portal: {0},{1}".format(session["portal"], session["tpgt"]),
                        "\tPersistent Portal: {0},{1}".format(session["portal"], session["tpgt"]),
                        "\t\tIface Name: {0}".format(session.get("iface", "default")),
                        "\t\tSID: {0}".format(session["sid"]),
                        "\t\tiSCSI Connection State: LOGGED IN", "\t\tiSCSI Session State: LOGGED_IN"])
        elif opts.get("print") == "3":
            out.extend(["Target: {0} (non-flash)".format(session["target"]),
                        "\tCurrent Portal: {0},{1}".format(session["portal"], session["tpgt"]),
                        "\tPersistent Portal: {0},{1}".format(session["portal"], session["tpgt"]),
                        "\t\tIface Name: {0}".format(session.get("iface", "default")),
                        "\t\tSID: {0}".format(session["sid"]),
                        "\t\tiSCSI Connection State: LOGGED IN", "\t\tiSCSI Session State: LOGGED_IN",
                        "\t\t************************", "\t\tAttached SCSI devices:",
                        "\t\t************************", "\t\tHost Number: {0}\tState: running".format(
                            5 + session["sid"])])
        else:
            out.append("tcp: [{0}] {1},{2} {3} (non-flash)".format(
                session["sid"], session["portal"], session["tpgt"], session["target"]))


def discoverydb_cmd(state, opts, out):
    if "portal" not in opts:
        if not state["discovery"]:
            raise Exit(21, "iscsiadm: No records found\n")
        out.extend("{0} via sendtargets".format(key) for key in sorted(state["discovery"]))
        return
    portal = portal_key(opts["portal"])
    record = state["discovery"].get(portal)
    if opts.get("discover"):
        if record is None:
            record = dict(DEFAULT_DISCOVERY)
            if "nonpersistent" not in opts["ops"]:
                state["discovery"][portal] = record
        wanted = state.get("discovery_chap", {}).get(portal)
        given = [record["discovery.sendtargets.auth.username"], record["discovery.sendtargets.auth.password"]]
        if wanted and (record["discovery.sendtargets.auth.authmethod"] != "CHAP" or given != wanted):
            raise Exit(24, "iscsiadm: Login failed to authenticate with target\niscsiadm: discovery login to {0} "
                           "rejected: initiator failed authorization\niscsiadm: Could not perform SendTargets "
                           "discovery: iSCSI login failed due to authorization failure\n".format(portal))
        ops = set(opts["ops"]) or {"new", "update", "delete"}
        found = state["targets"].get(portal, {})
        if "iface" in opts:
            if opts["iface"] != "default" and opts["iface"] not in state["ifaces"]:
                raise Exit(21, "iscsiadm: Could not read iface info for {0}.\n".format(opts["iface"]))
            ifaces = [opts["iface"]]
        else:
            ifaces = sorted(name for name, iface in state["ifaces"].items()
                            if iface["iface.transport_name"] == "tcp") or ["default"]
        for target, account in sorted(found.items()):
            out.append("{0},{1} {2}".format(portal, account["tpgt"], target))
            if "nonpersistent" in ops:
                continue
            for iface in ifaces:
                key = node_key(target, portal, iface)
                if key not in state["nodes"] or "update" in ops:
                    state["nodes"][key] = new_node(target, account["tpgt"], portal, discovered=True, iface=iface)
        if "delete" in ops:
            for key in [key for key in state["nodes"] if split_key(key)[1] == portal
                        and split_key(key)[2] in ifaces and split_key(key)[0] not in found]:
                del state["nodes"][key]
        return
    if "new" in opts["ops"]:
        state["discovery"][portal] = dict(DEFAULT_DISCOVERY)
        out.append("New discovery record for [{0}] added.".format(portal.replace(":", ",")))
        return
    if record is None:
        raise Exit(6, "iscsiadm: Discovery record [{0}] not found.\n".format(portal.replace(":", ",")))
    if "update" in opts["ops"]:
        record[opts["name"]] = opts["value"]
    elif "delete" in opts["ops"]:
        del state["discovery"][portal]
        for key in [key for key, node in state["nodes"].items()
                    if node["node.discovery_address"] + ":" + node["node.discovery_port"] == portal]:
            del state["nodes"][key]
    else:
        out.append(show(record, opts.get("secrets")).rstrip("\n"))


def iface_cmd(state, opts, out):
    if "iface" not in opts:
        out.append("default tcp,<empty>,<empty>,<empty>,<empty>")
        out.append("iser iser,<empty>,<empty>,<empty>,<empty>")
        for name, iface in sorted(state["ifaces"].items()):
            out.append("{0} {1},<empty>,<empty>,{2},<empty>".format(
                name, iface["iface.transport_name"], iface["iface.net_ifacename"] or "<empty>"))
        return
    name = opts["iface"]
    iface = state["ifaces"].get(name)
    if "new" in opts["ops"]:
        if name in ("default", "iser"):
            raise Exit(7, "iscsiadm: iface {0} is a special interface and is not stored in "
                          "/etc/iscsi/ifaces.\n".format(name))
        state["ifaces"][name] = {"iface.iscsi_ifacename": name, "iface.net_ifacename": "",
                                 "iface.transport_name": "tcp"}
        out.append("New interface {0} added".format(name))
        return
    if iface is None:
        raise Exit(6, "iscsiadm: Could not read iface {0}\n".format(name))
    if "update" in opts["ops"]:
        iface[opts["name"]] = opts["value"]
        out.append("{0} updated.".format(name))
    elif "delete" in opts["ops"]:
        for key in [key for key in state["nodes"] if split_key(key)[2] == name]:
            target, portal, _iface = split_key(key)
            if any(s["target"] == target and s["portal"] == portal and s.get("iface") == name
                   for s in state["sessions"]):
                raise Exit(15, "iscsiadm: Could not delete iface {0}: session exists\n".format(name))
            del state["nodes"][key]
        del state["ifaces"][name]
        out.append("{0} unbound and deleted.".format(name))
    else:
        out.append(show(iface, False).rstrip("\n"))


def main(argv):
    path = os.environ["FAKE_ISCSIADM_STATE"]
    with open(path) as handle:
        state = json.load(handle)
    for name in ("nodes", "discovery", "sessions", "targets", "calls", "ifaces"):
        state.setdefault(name, {} if name in ("nodes", "discovery", "targets", "ifaces") else [])
    state["calls"].append(argv)
    if os.environ.get("LANG") != "C" or os.environ.get("LC_ALL") != "C":
        state.setdefault("not_c_locale", []).append(argv)
    out = []
    rc, err = 0, ""
    try:
        opts = options(argv)
        if opts.get("version"):
            out.append("iscsiadm version 2.1.8")
        elif opts.get("mode") == "node":
            node_cmd(state, opts, out)
        elif opts.get("mode") == "session":
            session_cmd(state, opts, out)
        elif opts.get("mode") == "discoverydb":
            discoverydb_cmd(state, opts, out)
        elif opts.get("mode") == "iface":
            iface_cmd(state, opts, out)
        else:
            raise Exit(7, "iscsiadm: fake iscsiadm does not know {0}\n".format(" ".join(argv)))
    except Exit as exc:
        rc, err = exc.rc, exc.err
    with open(path, "w") as handle:
        json.dump(state, handle, indent=1)
    if out:
        sys.stdout.write("\n".join(out) + "\n")
    sys.stderr.write(err)
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
