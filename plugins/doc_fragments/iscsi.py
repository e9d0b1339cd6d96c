# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """Documentation shared by the open-iscsi initiator modules."""

    # Requirements and notes of every initiator module.
    DOCUMENTATION = r"""
options: {}
requirements:
  - open-iscsi (C(iscsiadm) and a running C(iscsid)) on the managed host.
notes:
  - C(iscsiadm) runs with C(LANG=C) so that its output can be parsed whatever the host's locale.
  - iscsiadm exit codes are reported with their iscsiadm(8) names, for example C(24, ISCSI_ERR_LOGIN_AUTH_FAILED).
"""

    # CHAP options of node records and sendtargets discovery records.
    CHAP = r"""
options:
  chap_username:
    description:
      - CHAP user name the initiator presents to the target (one-way CHAP).
      - With O(chap_secret_check=scst) (the default) it follows SCST's rules - at most 255 bytes,
        no blanks, control characters, C(;), C(=), C("), C({) or C(}).
      - When set, the record's CHAP settings are made to match the C(chap_*) options exactly;
        without O(chap_username_in), mutual CHAP is switched off.
      - An empty string switches CHAP off and clears the stored user names and secrets.
      - When no C(chap_*) option is given, the record's CHAP settings are left as they are.
    type: str
  chap_password:
    description:
      - CHAP secret for O(chap_username). Required with a non-empty O(chap_username).
      - Compared with the stored secret (read with C(iscsiadm -S)); never shown in output, diff or errors.
      - With O(chap_secret_check=scst) (the default) a secret an SCST target would refuse is refused before
        anything changes - shorter than 12 bytes, longer than 255, or with blanks, control characters,
        C(=) or C(;) (iscsi-scstd cuts a secret there), C("), C({) or C(}).
    type: str
  chap_username_in:
    description:
      - User name the target presents back to the initiator (mutual CHAP). Needs O(chap_username).
    type: str
  chap_password_in:
    description:
      - Secret for O(chap_username_in). Must differ from O(chap_password). Checked like O(chap_password).
    type: str
  chap_secret_check:
    description:
      - Which CHAP user names and secrets are accepted.
      - V(scst) accepts only what an SCST target accepts (see O(chap_password)), so a secret the target would
        refuse, or cut short, fails here with the rule it breaks instead of at login.
      - V(none) is for other targets - it refuses only what open-iscsi cannot keep - control characters and
        line breaks, a blank at either end, more than 255 bytes.
    type: str
    choices: [scst, none]
    default: scst
"""

    ATTRIBUTES = r"""
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details:
      - Secrets are never shown; a secret that will be replaced reads C(******** (changed)).
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
    platforms: posix
"""

    ATTRIBUTES_INFO = r"""
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details:
      - This action does not modify state.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: N/A
    details:
      - This action does not modify state.
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
    platforms: posix
"""
