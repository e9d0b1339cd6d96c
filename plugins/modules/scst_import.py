#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: scst_import
short_description: Turn scst.conf, IET ietd.conf or tgt targets.conf into scst_config variables
version_added: 0.1.0
description:
  - Reads a target configuration file on the managed host and converts it to the configuration
    that M(scst.iscsi.scst_config) takes and M(scst.iscsi.scst_info) returns - devices by handler,
    target drivers with their targets, LUNs, initiator groups, CHAP accounts.
  - V(scst) reads C(/etc/scst.conf) by scstadmin's own rules, comments, quoting and escapes
    included. V(ietd) converts an iSCSI Enterprise Target C(ietd.conf), V(tgt) a Linux SCSI target
    framework C(targets.conf); their devices get SCST names made of the last part of the target name
    and the LUN number (for example C(storage_backup_lun0)).
  - Everything that is valid in the source but has no SCST equivalent, or that scstadmin would read
    differently from what the file seems to say, is listed in RV(report) with its line number.
    Nothing is left out silently.
  - A source that cannot be read completely - an unknown keyword, a section that is not closed, a LUN
    without a path - is refused; the error lists every such line with the reason, and nothing is
    written (an existing O(dest) stays as it is).
  - With O(dest), the result is written there as YAML under the key O(var_name), ready for
    C(include_vars) or C(host_vars). The file is written atomically with mode C(0600), and only
    when its content (or its mode) would change.
  - CHAP secrets are written to O(dest), because C(scst_config) needs them. They never appear in
    RV(config), RV(report), the diff or an error message.
author:
  - scst.iscsi maintainers (!UNKNOWN)
options:
  src:
    description:
      - The file to read on the managed host.
      - When not set, the usual place for O(format) - C(/etc/scst.conf) for V(scst),
        C(/etc/iet/ietd.conf) for V(ietd), C(/etc/tgt/targets.conf) for V(tgt).
    type: path
  format:
    description:
      - What O(src) is. V(scst) for scstadmin's C(scst.conf), V(ietd) for IET, V(tgt) for tgt.
    type: str
    choices: [scst, ietd, tgt]
    default: scst
  dest:
    description:
      - Where to write the variables file on the managed host. Its directory must exist.
      - Without it, the module only returns the result and changes nothing.
    type: path
  var_name:
    description:
      - The top-level key of the variables file. A valid Ansible variable name.
    type: str
    default: scst_config
attributes:
  check_mode:
    description: Converts and compares, and reports whether O(dest) would change, without writing it.
    support: full
  diff_mode:
    description: Shows O(dest) before and after, with every CHAP secret replaced by C(********).
    support: full
  idempotent:
    description: The output is deterministic, so a second run with the same source changes nothing.
    support: full
notes:
  - The written file holds CHAP secrets in clear text. Keep it private, for example encrypt it with
    C(ansible-vault) once it is on the controller.
  - The YAML is written with PyYAML when the managed host has it; otherwise as JSON, which is valid
    YAML too (LUN numbers then become strings, which M(scst.iscsi.scst_config) accepts).
  - For IET, the access rules in C(initiators.allow) and C(targets.allow) are not read; the report
    says how to express them. For tgt, an C(initiator-name) list becomes an initiator group
    C(allowed) holding the target's LUNs; C(initiator-address) rules have no SCST equivalent.
seealso:
  - module: scst.iscsi.scst_config
  - module: scst.iscsi.scst_info
"""

EXAMPLES = r"""
- name: Save the SCST configuration of the host as variables, next to the playbook
  scst.iscsi.scst_import:
    dest: /root/scst_config.yml
  register: imported

- name: Show what needs attention
  ansible.builtin.debug:
    var: imported.report

- name: Bring the variables to the controller
  ansible.builtin.fetch:
    src: /root/scst_config.yml
    dest: "host_vars/{{ inventory_hostname }}/scst_config.yml"
    flat: true

- name: Convert the configuration of an old IET server
  scst.iscsi.scst_import:
    format: ietd
    src: /etc/iet/ietd.conf
    dest: /root/from_iet.yml

- name: Convert a tgt configuration, only to look at it (nothing is written)
  scst.iscsi.scst_import:
    format: tgt
  register: from_tgt

- name: Apply a converted configuration on the new SCST server
  scst.iscsi.scst_config:
    config: "{{ scst_config }}"
"""

RETURN = r"""
config:
  description:
    - The converted configuration, in the shape M(scst.iscsi.scst_config) takes, every CHAP secret
      replaced by C(********).
  returned: success
  type: dict
  sample:
    handlers:
      vdisk_fileio:
        devices:
          disk1: {filename: /srv/disk1.img, attributes: {nv_cache: "1"}}
    drivers:
      iscsi:
        enabled: true
        attributes: {}
        chap: {incoming: [], outgoing: []}
        targets:
          iqn.2026-11.com.example:tgt1:
            enabled: true
            attributes: {rel_tgt_id: "1"}
            allowed_portals: []
            chap: {incoming: [{username: host1, password: "********"}], outgoing: []}
            luns: {"0": {device: disk1, read_only: false}}
            groups: {}
report:
  description:
    - What was not imported or needs attention, one sentence each, starting with C(line N:) where
      it concerns one line of O(src). Never holds a secret.
  returned: success
  type: list
  elements: str
  sample:
    - "line 20: target iqn.2001-04.com.example:storage.db: MaxConnections 1 is not a setting SCST offers
      (iscsi-scstd uses its own value); not imported"
src:
  description: The file that was read.
  returned: success
  type: str
  sample: /etc/scst.conf
dest:
  description: The variables file written (or, in check mode, that would be written).
  returned: when O(dest) is set
  type: str
  sample: /root/scst_config.yml
diff:
  description: O(dest) before and after, CHAP secrets masked.
  returned: when diff mode is on and O(dest) is set
  type: dict
"""

import json
import re

try:
    import yaml
except ImportError:  # JSON is valid YAML: without PyYAML the file is written as JSON
    yaml = None
    _Dumper = None
else:
    class _Dumper(yaml.SafeDumper):  # pylint: disable=too-many-ancestors
        """Lists indented under their key, as yamllint's default rules want."""

        def increase_indent(self, flow=False, indentless=False):
            return super().increase_indent(flow, False)

from ansible_collections.scst.iscsi.plugins.module_utils.common.module import CollectionModule
from ansible_collections.scst.iscsi.plugins.module_utils.scst.conf import parse_scst_conf
from ansible_collections.scst.iscsi.plugins.module_utils.common.errors import ModuleError
from ansible_collections.scst.iscsi.plugins.module_utils.scst.errors import ScstError
from ansible_collections.scst.iscsi.plugins.module_utils.scst.files import PRIVATE_MODE, current_file, write_private
from ansible_collections.scst.iscsi.plugins.module_utils.scst.migrate import ietd_to_config, tgt_to_config
from ansible_collections.scst.iscsi.plugins.module_utils.common.masking import find_secrets, mask_secrets

DEFAULT_SRC = {"scst": "/etc/scst.conf", "ietd": "/etc/iet/ietd.conf", "tgt": "/etc/tgt/targets.conf"}
CONVERTERS = {"scst": parse_scst_conf, "ietd": ietd_to_config, "tgt": tgt_to_config}
_VAR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


HEADER = "# Converted by scst.iscsi.scst_import from "


def _dump(data):
    if yaml is not None:
        return yaml.dump(data, Dumper=_Dumper, default_flow_style=False, sort_keys=True, allow_unicode=True)
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def variables_text(var_name, config, *, src, fmt):
    """The variables file: deterministic, so an unchanged source gives the same bytes."""
    return ("---\n%s%s (format %s).\n"
            "# Holds CHAP secrets in clear text: keep it private (ansible-vault).\n" % (HEADER, src, fmt)
            + _dump({var_name: config}))


def _load_variables(text):
    """The data of a variables file, or None when it cannot be read back."""
    try:
        if yaml is not None:
            return yaml.safe_load(text)
        return json.loads("\n".join(line for line in text.split("\n")
                                    if not line.startswith("#") and line != "---"))
    except Exception:  # pylint: disable=broad-except
        return None


def masked_variables(text):
    """A file this module wrote, with its secrets masked; any other file is not
    shown at all (its content is unknown and may hold other secrets)."""
    lines = text.split("\n")
    data = _load_variables(text)
    if len(lines) < 2 or not lines[1].startswith(HEADER) or not isinstance(data, dict) or len(data) != 1:
        return "(the current content is not shown: it is not a file written by scst_import)\n"
    header = [line + "\n" for line in lines[:3] if line == "---" or line.startswith("#")]
    return "".join(header) + _dump(mask_secrets(data))


def read_source(path):
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise ScstError("cannot read %s: %s" % (path, exc.strerror), path=path)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScstError("%s is not UTF-8 text (byte %d)" % (path, exc.start), path=path)


def run(params, *, check_mode, diff, hide=lambda secrets: None):
    """Convert, and write ``dest`` when it would change.  A source that cannot be
    read completely raises (ConfError, with every bad line) before anything is
    written.  ``hide`` receives the secrets read, for Ansible to scrub them."""
    fmt = params["format"]
    src = params["src"] or DEFAULT_SRC[fmt]
    var_name = params["var_name"]
    if not _VAR_NAME.match(var_name or ""):
        raise ScstError("var_name: %r is not a valid variable name (letters, digits and _, not starting "
                        "with a digit)" % (var_name,))
    config, report = CONVERTERS[fmt](read_source(src))
    hide(find_secrets(config))
    result = {"changed": False, "config": mask_secrets(config), "report": report, "src": src}
    dest = params["dest"]
    if not dest:
        return result
    result["dest"] = dest
    text = variables_text(var_name, config, src=src, fmt=fmt)
    before, mode = current_file(dest)
    result["changed"] = before != text or mode != PRIVATE_MODE
    if diff:
        shown_before = "" if before is None else masked_variables(before)
        shown_after = variables_text(var_name, mask_secrets(config), src=src, fmt=fmt)
        note = ""
        if before is not None and before != text and shown_before == shown_after:
            note = ", a CHAP secret changed"
        result["diff"] = {
            "before_header": "%s%s" % (dest, "" if mode is None else " (mode %04o)" % mode),
            "after_header": "%s (mode %04o%s; secrets masked)" % (dest, PRIVATE_MODE, note),
            "before": shown_before,
            "after": shown_after,
        }
    if result["changed"] and not check_mode:
        write_private(dest, text)
    return result


def main():
    module = CollectionModule(
        argument_spec=dict(
            src=dict(type="path"),
            format=dict(type="str", choices=["scst", "ietd", "tgt"], default="scst"),
            dest=dict(type="path"),
            var_name=dict(type="str", default="scst_config"),
        ),
        supports_check_mode=True,
    )
    try:
        result = run(module.params, check_mode=module.check_mode, diff=module._diff,
                     hide=module.no_log_values.update)
    except ModuleError as exc:
        # every failure happens before dest is written
        module.fail_json(msg=str(exc), **dict(exc.details, changed=False))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
