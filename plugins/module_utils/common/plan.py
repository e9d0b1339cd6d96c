# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan of one module run, for both halves of the collection.

A plan is the ordered steps a run makes, the warnings for the operator and
the before/after of the diff. Planning only reads; each half's apply code runs
the steps and marks them done. Check mode is the plan without the apply, so
what it reports (steps, diff, ``changed``) is what a real run does.

Secrets: a step's ``secrets`` are hidden wherever the step is shown;
before/after hold masked values only.
"""

from __future__ import annotations

from ansible_collections.scst.iscsi.plugins.module_utils.common.masking import mask_text


class Step(object):
    """One change. ``what`` tells the operator what it does.

    ``done`` is None until applied, then whether it changed anything (a login
    that finds the session already there did not). A step with
    ``changes=False`` (a discovery: what it adds is counted by its caller)
    does not by itself make a run changed.
    """

    def __init__(self, what, *, secrets=(), changes=True):
        self.what = what
        self.secrets = tuple(secret for secret in secrets if secret)
        self.changes = changes
        self.done = None

    def mask(self, text):
        """``text`` with every secret of this step hidden (``masking.mask_text``)."""
        return mask_text(text, self.secrets)

    @property
    def description(self):
        return self.mask(self.what)


class Plan(object):
    """Steps in apply order, warnings, and the masked before/after of the diff."""

    def __init__(self, *, warnings=None, before=None, after=None):
        self.steps = []
        self.warnings = list(warnings or ())
        self.before = {} if before is None else before
        self.after = {} if after is None else after

    def append(self, step):
        self.steps.append(step)
        return step

    def extend(self, other):
        self.steps.extend(other.steps)
        self.warnings.extend(other.warnings)

    def ordered(self):
        """The steps in the order they are applied (a half may sort them)."""
        return list(self.steps)

    def __len__(self):
        return len(self.steps)

    def __bool__(self):
        return bool(self.steps)

    @property
    def changed(self):
        """Planned changes; once applied, the changes that took place."""
        return any(step.changes and step.done is not False for step in self.steps)

    def applied(self):
        """The steps applied so far that changed something (for a run that failed half-way)."""
        return [step for step in self.ordered() if step.changes and step.done]

    def descriptions(self):
        return [step.description for step in self.ordered()]

    def diff(self):
        return {"before": self.before, "after": self.after}
