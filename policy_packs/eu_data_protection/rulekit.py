"""The rule kit every Clover policy pack shares: what "unknown" means, how a rule fails closed, and
one way to register a rule that names it once.

A policy pack is published and started on its own (``pulumi preview --policy-pack <dir>``), so it
cannot import a shared package: this file is the one source, and ``tools/sync_facts.py`` copies
it byte for byte into every pack as ``rulekit.py``; ``tests/test_facts.py`` fails while a copy
differs. Edit it here, then run ``make facts``. It needs pulumi_policy only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Final, TypeVar

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.policy import Severity

UNKNOWN_SENTINELS: Final = frozenset(
    {
        # The engine's placeholders for values not known until apply (pulumi_policy/proxy.py).
        "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
        "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
        "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
        "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
        "030794c1-ac77-496b-92df-f27374a8bd58",
        "e48ece36-62e2-4504-bad9-02848725956a",
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
    }
)
"""Every placeholder the engine may send for a value not known until apply."""


class Unknown:
    """A value not known until apply, once a rule has copied it out of the SDK's proxies. Falsy,
    so that ``if value:`` never reads it as given; a rule that needs the value fails closed."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<unknown until apply>"

    def __bool__(self) -> bool:
        return False


UNKNOWN_MARKER: Final = Unknown()
"""The one marker for a copied unknown value."""


def is_unknown(value: Any) -> bool:
    """Whether a value is not known until apply: an engine placeholder or the marker. Every rule
    of every pack asks this one question, and an unknown it needs makes it fail closed."""
    return value is UNKNOWN_MARKER or (isinstance(value, str) and value in UNKNOWN_SENTINELS)


INTERNAL_ERROR_MARKER: Final = "could not be evaluated"
"""In the message of a rule that failed unexpectedly and therefore blocked (:func:`guarded`)."""

A = TypeVar("A", ResourceValidationArgs, StackValidationArgs)
Validator = Callable[[A, ReportViolation], None]
_log = logging.getLogger(__name__)


def guarded(rule_name: str, validate: Validator[A]) -> Validator[A]:
    """``validate``, reporting an unexpected error as a violation instead of raising it.

    A raised exception would abort the whole preview (and a raised ``UnknownValueError`` would be
    downgraded to advisory by the SDK); a rule that cannot decide must block, with the reason. The
    message carries :data:`INTERNAL_ERROR_MARKER`, so tests tell this path from a finding.
    """

    def run(args: A, report: ReportViolation) -> None:
        try:
            validate(args, report)
        except Exception as exc:  # noqa: BLE001 - never abort the preview; block instead
            _log.exception("rule %s failed", rule_name)
            report(
                f"{rule_name}: {_subject(args)} {INTERNAL_ERROR_MARKER} "
                f"({type(exc).__name__}: {exc}); treated as a violation until fixed.",
                None,
            )

    return run


def _subject(args: object) -> str:
    """The resource's name, or "the stack"; never raises, whatever the arguments are."""
    try:
        name = getattr(args, "name", None)
    except Exception:  # noqa: BLE001 - the report must go out whatever the arguments do
        name = None
    return name if isinstance(name, str) else "the stack"


def resource_rule(
    name: str,
    *,
    description: str,
    validate: Validator[ResourceValidationArgs],
    severity: Severity,
    remediation_steps: str | None = None,
    config_schema: PolicyConfigSchema | None = None,
    enforcement_level: EnforcementLevel | None = None,
) -> ResourceValidationPolicy:
    """A rule judging one resource at a time, named once, its validator :func:`guarded`."""
    return ResourceValidationPolicy(
        name=name,
        description=description,
        validate=guarded(name, validate),
        enforcement_level=enforcement_level,
        config_schema=config_schema,
        severity=severity,
        remediation_steps=remediation_steps,
    )


def stack_rule(
    name: str,
    *,
    description: str,
    validate: Validator[StackValidationArgs],
    severity: Severity,
    remediation_steps: str | None = None,
    config_schema: PolicyConfigSchema | None = None,
    enforcement_level: EnforcementLevel | None = None,
) -> StackValidationPolicy:
    """A rule judging the whole stack, named once, its validator :func:`guarded`."""
    return StackValidationPolicy(
        name=name,
        description=description,
        validate=guarded(name, validate),
        enforcement_level=enforcement_level,
        config_schema=config_schema,
        severity=severity,
        remediation_steps=remediation_steps,
    )
