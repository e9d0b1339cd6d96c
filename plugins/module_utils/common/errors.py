# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The errors of both halves of the collection (SCST targets, open-iscsi initiators).

Every failure a module reports is a ``ModuleError``; a module's ``main()`` is
the only place that turns one into ``fail_json`` (``error.result()``).  A bad
request is a ``ValidationError`` naming the field and the rule, raised before
anything is changed.  No error ever carries a CHAP secret: callers pass
``value`` only for values that are not secret.
"""

from __future__ import annotations


class ModuleError(Exception):
    """Base class: ``details`` are returned to the operator beside the message."""

    def __init__(self, message, **details):
        super().__init__(message)
        self.details = details

    @property
    def msg(self):
        return str(self.args[0]) if self.args else ""

    def __str__(self):
        return self.msg

    def result(self):
        """Keyword arguments for ``fail_json``: the message, then the details."""
        result = dict(self.details)
        result["msg"] = self.msg
        return result


class ValidationError(ModuleError):
    """A request that breaks a rule: ``field`` names the option, ``rule`` says what it must be."""

    def __init__(self, field, rule, value=None, *, shown=None):
        shown = shown if shown is not None else "" if value is None else " (got %r)" % (value,)
        super().__init__("%s: %s%s" % (field, rule, shown), field=field, rule=rule)
        self.field = field
        self.rule = rule
        self.shown = shown

    def under(self, prefix):
        """The same error for the same field seen from ``prefix`` (an option holding a
        nested structure): ``config`` + ``handlers.x`` is ``config.handlers.x``."""
        if self.field in ("", prefix) or self.field.startswith(prefix + "."):
            return self
        field = "%s.%s" % (prefix, self.field)
        error = ValidationError(field, self.rule, shown=self.shown)
        error.details.update((k, val) for k, val in self.details.items() if k not in ("field", "rule"))
        return error
