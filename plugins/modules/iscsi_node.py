#!/usr/bin/python
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: iscsi_node
short_description: Manage an open-iscsi node record and its session, per target and portal
version_added: 0.1.0
description:
  - Manages one node record of open-iscsi (a target at one portal) - its settings (C(node.startup), CHAP,
    any other C(node.*) setting), the login, the logout and the record's removal.
  - Everything is per target B(and) portal. Logging out of one portal leaves the sessions to the
    target's other portals alone, and login never falls back to every portal of the target.
  - Settings are read back from the record (secrets with C(iscsiadm -S)) and only those that differ are
    written, so a changed CHAP secret is detected and applied, and an unchanged one reports no change.
  - A login that finds the session already there (iscsiadm exit 15) is success, not an error.
  - A login refused by CHAP (iscsiadm exit 24) fails with a message that names the target and portal.
  - Records are created by discovery (M(scst.iscsi.iscsi_discovery)); set O(create=true) to add a
    static record for a target that is not discovered.
author:
  - scst.iscsi contributors (@scst-iscsi)
extends_documentation_fragment:
  - scst.iscsi.iscsi
  - scst.iscsi.iscsi.chap
  - scst.iscsi.iscsi.attributes
options:
  target:
    description:
      - iSCSI name of the target, normally in RFC 3720 form (C(iqn.), C(eui.) or C(naa.)). Another name
        (for example C(target1), which SCST accepts), or one longer than 223 bytes, is used with a warning.
      - Refused - blanks and control characters, C(/), C(.) and C(..) (open-iscsi keeps the record in a
        directory named after the target), more than 254 bytes (open-iscsi keeps no more).
    type: str
    required: true
  portal:
    description:
      - IP address of the portal, as discovery reported it. May carry the port (C(192.0.2.10:3260),
        C([2001:db8::10]:3260)).
      - A host name the resolver would read as a number (C(127.1), C(010.0.0.1) - octal, C(0x0a.0.0.1)) is
        refused; write IPv4 addresses as four decimal numbers without leading zeros.
    type: str
    required: true
  port:
    description:
      - TCP port of the portal. Defaults to the port in O(portal), else 3260.
      - A number, or a string of plain decimal digits; C("010"), C("+1"), C("1e3"), fractions and booleans
        are refused.
    type: raw
  iface:
    description:
      - open-iscsi iface of the record. Needed only when the target and portal have records
        for several ifaces.
      - At most 64 bytes, without blanks, control characters or C(/), not C(.) or C(..).
    type: str
  state:
    description:
      - V(present) keeps the record and applies the settings.
      - V(absent) logs out of this portal (when logged in) and deletes the record.
    type: str
    choices: [present, absent]
    default: present
  login:
    description:
      - V(true) logs in when there is no session to this target at this portal.
      - V(false) logs out of this portal only.
      - Unset leaves the session as it is.
    type: bool
  startup:
    description:
      - C(node.startup) of the record. V(automatic) logs the node in at boot (open-iscsi.service
        or iscsi.service runs C(iscsiadm -m node --loginall=automatic)).
    type: str
    choices: [automatic, manual, onboot]
  settings:
    description:
      - Other C(node.*) settings of the record, name to value, for example
        C(node.session.timeo.replacement_timeout) or C(node.conn[0].timeo.login_timeout).
      - Booleans become C(Yes) and C(No). Names and values must not hold control characters or line
        breaks, nor begin or end with a blank. Secrets cannot be given here (use the C(chap_*) options),
        nor the names that identify the record (C(node.name), C(node.tpgt), C(node.conn[0].address),
        C(node.conn[0].port)).
    type: dict
    default: {}
  create:
    description:
      - Create a static record (C(iscsiadm -m node -o new)) when none exists. Without it a missing record
        is an error that points at discovery.
    type: bool
    default: false
  relogin:
    description:
      - When the node is logged in and this task changed settings that are read at login (CHAP, timeouts,
        anything but C(node.startup)), log out of this portal and in again so they take effect now.
      - Without it the session goes on with the old settings until the next login, and a warning says so.
    type: bool
    default: false
seealso:
  - module: scst.iscsi.iscsi_discovery
  - module: scst.iscsi.iscsi_devices
  - module: scst.iscsi.iscsi_info
"""

EXAMPLES = r"""
- name: Log in to one portal of a target with one-way CHAP, and again at every boot
  scst.iscsi.iscsi_node:
    target: iqn.2026-11.test.lab:tgt1
    portal: 192.168.77.10
    chap_username: labuser
    chap_password: "{{ vault_chap_password }}"
    startup: automatic
    login: true

- name: Mutual CHAP, and log in again at once if the secrets changed
  scst.iscsi.iscsi_node:
    target: iqn.2026-11.test.lab:tgt1
    portal: 192.168.77.10
    chap_username: labuser
    chap_password: "{{ vault_chap_password }}"
    chap_username_in: labtarget
    chap_password_in: "{{ vault_chap_password_in }}"
    login: true
    relogin: true

- name: Tune timeouts of a record without touching its session
  scst.iscsi.iscsi_node:
    target: iqn.2026-11.test.lab:tgt1
    portal: 192.168.77.10
    settings:
      node.session.timeo.replacement_timeout: 5
      node.conn[0].timeo.noop_out_interval: 5

- name: Log out of one portal only; the target's other portals keep their sessions
  scst.iscsi.iscsi_node:
    target: iqn.2026-11.test.lab:tgt1
    portal: 192.168.78.10
    login: false

- name: Log out and delete the record
  scst.iscsi.iscsi_node:
    target: iqn.2026-11.test.lab:tgt1
    portal: 192.168.77.10
    state: absent

- name: Add a static record for a target that is not discovered, and log in
  scst.iscsi.iscsi_node:
    target: iqn.2026-11.test.lab:tgt2
    portal: "[2001:db8::10]:3260"
    create: true
    login: true
"""

RETURN = r"""
target:
  description: iSCSI name of the target.
  returned: always
  type: str
  sample: iqn.2026-11.test.lab:tgt1
portal:
  description: The portal as iscsiadm takes it (address and port).
  returned: always
  type: str
  sample: 192.168.77.10:3260
logged_in:
  description: Whether a session to this target at this portal exists after the task (predicted in check mode).
  returned: always
  type: bool
  sample: true
sid:
  description: Session id of the session to this target at this portal; null without one, and in check mode when
    the task would log in.
  returned: always
  type: int
  sample: 3
record:
  description:
    - Settings of the node record after the task, as C(iscsiadm -m node -T -p) shows them, secrets
      masked as C(********). Null when the record is absent.
    - In check mode, the current record with the planned changes applied.
  returned: always
  type: dict
  sample:
    node.startup: automatic
    node.session.auth.authmethod: CHAP
    node.session.auth.username: labuser
    node.session.auth.password: "********"
actions:
  description: What the task did (or would do in check mode), in order. Secrets never appear.
  returned: always
  type: list
  elements: str
  sample:
    - set node.session.auth.password = ******** (changed) on target iqn.2026-11.test.lab:tgt1 at portal 192.168.77.10:3260
    - log in to target iqn.2026-11.test.lab:tgt1 at portal 192.168.77.10:3260
"""

from ansible_collections.scst.iscsi.plugins.module_utils.common.module import CollectionModule
from ansible_collections.scst.iscsi.plugins.module_utils.iscsi.initiator import Chap, Initiator, NodeRequest
from ansible_collections.scst.iscsi.plugins.module_utils.iscsi.iscsiadm import module_iscsiadm
from ansible_collections.scst.iscsi.plugins.module_utils.iscsi.model import SECRET_SETTINGS, Portal, mask_settings


def argument_spec():
    return dict(
        target=dict(type="str", required=True),
        portal=dict(type="str", required=True),
        port=dict(type="raw"),
        iface=dict(type="str"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        login=dict(type="bool"),
        startup=dict(type="str", choices=["automatic", "manual", "onboot"]),
        settings=dict(type="dict", default={}),
        create=dict(type="bool", default=False),
        relogin=dict(type="bool", default=False),
        chap_username=dict(type="str"),
        chap_password=dict(type="str", no_log=True),
        chap_username_in=dict(type="str"),
        chap_password_in=dict(type="str", no_log=True),
        chap_secret_check=dict(type="str", choices=["scst", "none"], default="scst"),
    )


def build_request(params: dict) -> NodeRequest:
    return NodeRequest(
        target=params["target"],
        portal=Portal.from_user(params["portal"], params["port"]),
        iface=params["iface"],
        state=params["state"],
        login=params["login"],
        startup=params["startup"],
        chap=Chap(username=params["chap_username"], password=params["chap_password"],
                  username_in=params["chap_username_in"], password_in=params["chap_password_in"],
                  check=params["chap_secret_check"]),
        settings=params["settings"] or {},
        create=params["create"],
        relogin=params["relogin"],
    )


def outcome(initiator: Initiator, request: NodeRequest, plan, *, check_mode: bool) -> dict:
    """Read the node back after applying; in check mode, predict it from the plan."""
    if check_mode:
        record = None
        if plan.after.get("record") is not None:
            current = initiator.node_record(target=request.target, portal=request.portal, iface=request.iface)
            record = mask_settings(current or {})
            record.update(plan.after["record"])
        session = initiator.session_for(target=request.target, portal=request.portal, iface=request.iface)
        logged_in = plan.after["logged_in"]
        sid = session.sid if session is not None and logged_in and not any(
            step.action == "logout" for step in plan.steps) else None
    else:
        current = initiator.node_record(target=request.target, portal=request.portal, iface=request.iface)
        record = mask_settings(current) if current is not None else None
        session = initiator.session_for(target=request.target, portal=request.portal, iface=request.iface)
        logged_in = session is not None
        sid = session.sid if session is not None else None
    return dict(target=request.target, portal=str(request.portal), logged_in=logged_in, sid=sid,
                record=record, actions=plan.descriptions())


def settings_secrets(params):
    """Secrets someone put into ``settings`` (refused, but Ansible must not echo them)."""
    settings = params.get("settings")
    if not isinstance(settings, dict):
        return []
    return [str(value) for name, value in settings.items()
            if value not in (None, "") and (str(name).lower() in SECRET_SETTINGS or "password" in str(name).lower())]


def main():
    module = CollectionModule(argument_spec=argument_spec(), supports_check_mode=True, secrets=settings_secrets)
    initiator = Initiator(iscsiadm=module_iscsiadm(module))
    # settings written before a failing login (a new CHAP secret) are a change: run_plan says so
    module.run_plan(build_request, initiator.plan_node, apply=lambda _request, plan: initiator.apply(plan),
                    report=lambda request, plan, _effect: outcome(initiator, request, plan,
                                                                  check_mode=module.check_mode))


if __name__ == "__main__":
    main()
