# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sphinx extension for the docs stage (scripts/test.d/docs.bash): the site is
built without network access, so the conf.py of ``antsibull-docs sphinx-init``
runs with an empty ``intersphinx_mapping``.  The pages antsibull-docs generates
still point at two labels of the Ansible documentation; this extension turns
exactly those into plain links to it.  Any other reference that does not
resolve stays a warning, which the build (``sphinx-build -W``) turns into an
error.
"""

from __future__ import annotations

from docutils import nodes

ANSIBLE_DOCS = "https://docs.ansible.com/projects/ansible/devel/"

# label -> (page under ANSIBLE_DOCS, title shown when the reference has none)
ANSIBLE_LABELS = {
    "ansible_configuration_settings": ("reference_appendices/config.html", "Ansible Configuration Settings"),
    "common_return_values": ("reference_appendices/common_return_values.html", "Return Values"),
}


def resolve_ansible_label(app, env, node, contnode):  # pylint: disable=unused-argument
    """``missing-reference`` handler: a link for a label of ANSIBLE_LABELS."""
    if node.get("refdomain") != "std" or node.get("reftype") != "ref":
        return None
    target = ANSIBLE_LABELS.get(node.get("reftarget"))
    if target is None:
        return None
    page, title = target
    reference = nodes.reference("", "", internal=False, refuri=ANSIBLE_DOCS + page)
    if node.get("refexplicit"):
        reference += contnode
    else:
        reference += nodes.inline(title, title)
    return reference


def setup(app):
    """Register the handler."""
    app.connect("missing-reference", resolve_ansible_label)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
