"""Reviewed exemptions: one resource's violation of one rule, reported as exempted instead.

CrossGuard has nothing finer than a policy's enforcement level, which holds for the whole stack.
An exemption is finer: it names one rule, one resource (an exact URN or an ``fnmatch`` pattern over
the URN), a reason, who approved it and the last day it holds. Exemptions are written and reviewed
in ``policy_packs/config/exemptions.yaml``; clover/pack_config.py compiles a stack's entries into
each rule's config under ``exemptions``, so they reach the pack through ``Configure`` whether it
runs under ``pulumi preview --policy-pack-config``, a Pulumi Cloud policy group or the offline
check.

At construction every rule gets the ``exemptions`` setting in its config schema and its
``validate`` wrapped: a ``report`` call for a URN an active exemption of that rule matches is not
reported as the rule's violation but recorded, and the advisory rule ``policy-exemption-applied``,
registered last, reports it with the exemption's details. The SDK runs a pack's policies in list
order within one ``Analyze`` (resource rules) or ``AnalyzeStack`` (stack rules) call
(pulumi_policy/policy.py ``_PolicyAnalyzerServicer``), so the last policy sees every record of that
call. An expired or malformed exemption does not apply: the violation is reported as usual with the
reason appended. An active exemption that matched nothing in the whole run is reported as stale.

Each pack directory is its own import root, so this module is copied into every Clover pack;
tests/test_exemptions.py keeps the copies identical byte for byte.
"""

from __future__ import annotations

import datetime
import fnmatch
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from google.protobuf import json_format
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

APPLIED: Final = "policy-exemption-applied"
"""The rule that reports exempted violations and stale exemptions; always advisory."""
CONFIG_KEY: Final = "exemptions"
_STACK: Final = ""
"""The record key of violations reported during ``AnalyzeStack`` (no single resource)."""
_DATE: Final = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_IDLE_TIMEOUT_SECONDS: Final = 60.0

ENTRY_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "minLength": 1},
        "resource": {"type": "string", "minLength": 1},
        "reason": {"type": "string", "minLength": 1},
        "approvedBy": {"type": "string", "minLength": 1},
        "expires": {"type": "string", "pattern": _DATE.pattern},
    },
    "required": ["id", "resource", "reason", "approvedBy", "expires"],
    "additionalProperties": False,
}
PROPERTY: Final[dict[str, Any]] = {
    "type": "array",
    "items": ENTRY_SCHEMA,
    "default": [],
    "description": (
        "Reviewed exemptions of this rule, compiled from policy_packs/config/exemptions.yaml by "
        "clover.pack_config: each names a resource (exact URN or fnmatch pattern), a reason, the "
        "approver and the last day it holds (expires, YYYY-MM-DD)."
    ),
}


@dataclass(frozen=True, kw_only=True)
class Exemption:
    """One rule's exemption for the resources its URN or pattern matches."""

    policy: str
    id: str
    resource: str
    reason: str
    approved_by: str
    expires: datetime.date | None
    problem: str | None = None
    """Why the exemption cannot apply (a malformed entry); None when it is well formed."""

    def matches(self, urn: str) -> bool:
        # Case-sensitive: URNs are, and a pattern must not widen by case folding.
        return fnmatch.fnmatchcase(urn, self.resource)

    def active(self, today: datetime.date) -> bool:
        """Well formed and not past its last day (``expires`` itself still holds)."""
        return self.problem is None and self.expires is not None and today <= self.expires

    def why_not(self, today: datetime.date) -> str:
        """Why an inactive exemption does not apply, as appended to the violation."""
        if self.problem is not None:
            return f" (exemption {self.id} does not apply: {self.problem})"
        return f" (exemption {self.id} expired on {self.expires})"


def parse(policy: str, index: int, raw: Any) -> Exemption:
    """An entry of a rule's ``exemptions`` setting; a malformed one carries its problem."""
    entry = raw if isinstance(raw, Mapping) else {}
    texts: dict[str, str] = {}
    for key in ("id", "resource", "reason", "approvedBy", "expires"):
        value = entry.get(key)
        texts[key] = value if isinstance(value, str) else ""
    ident = texts["id"] or f"#{index}"
    missing = [key for key, value in texts.items() if not value]
    expires: datetime.date | None = None
    problem: str | None = None
    if missing:
        problem = f"missing {', '.join(missing)}"
    elif not _DATE.match(texts["expires"]):
        problem = f"expires {texts['expires']!r} is not a date (YYYY-MM-DD)"
    else:
        try:
            expires = datetime.date.fromisoformat(texts["expires"])
        except ValueError:
            problem = f"expires {texts['expires']!r} is not a date (YYYY-MM-DD)"
    return Exemption(
        policy=policy,
        id=ident,
        resource=texts["resource"],
        reason=texts["reason"],
        approved_by=texts["approvedBy"],
        expires=expires,
        problem=problem,
    )


@dataclass(frozen=True, kw_only=True)
class _Record:
    urn: str
    message: str


class Ledger:
    """The pack's exemptions (set at ``Configure``) and what they matched in the current run.

    The SDK serves ``Analyze`` on a pool of threads, so several resources are analysed at once:
    the records are kept per analysed URN under one lock.
    """

    def __init__(self, today: Callable[[], datetime.date] = datetime.date.today) -> None:
        self._today = today
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._by_policy: dict[str, tuple[Exemption, ...]] = {}
        self._matched: set[str] = set()
        self._records: dict[str, list[_Record]] = {}
        self._analyzing = 0

    # -- configuration ------------------------------------------------------------------------

    def configure(self, decoded: Mapping[str, Mapping[str, Any]]) -> None:
        """Take every rule's ``exemptions`` from a decoded ``Configure`` request.

        A new set of exemptions starts a new run; the same set sent again (the check sends the
        evidence it gathered before ``AnalyzeStack``) keeps what the run has matched so far.
        """
        by_policy: dict[str, tuple[Exemption, ...]] = {}
        for policy, config in decoded.items():
            raw = config.get(CONFIG_KEY) if isinstance(config, Mapping) else None
            if isinstance(raw, list) and raw:
                by_policy[policy] = tuple(parse(policy, i, e) for i, e in enumerate(raw))
        with self._lock:
            if by_policy != self._by_policy:
                self._by_policy = by_policy
                self._matched.clear()
                self._records.clear()

    def clear(self) -> None:
        """No exemption applies (a ``Configure`` request that could not be decoded)."""
        self.configure({})

    # -- the rules' reports -------------------------------------------------------------------

    def intercept(self, policy: str, key: str, urn: str | None, message: str) -> str | None:
        """None when an active exemption takes the violation (recorded under ``key``); else
        the text to append to the violation (empty, or why a matching exemption does not apply).
        """
        if not urn:
            return ""
        today = self._today()
        with self._lock:
            candidates = [e for e in self._by_policy.get(policy, ()) if e.matches(urn)]
            for exemption in candidates:
                if exemption.active(today):
                    self._matched.add(exemption.id)
                    self._records.setdefault(key, []).append(
                        _Record(urn=urn, message=applied_message(exemption, urn, message))
                    )
                    return None
            # Matched, but does not apply: the violation says why, staleness need not.
            self._matched.update(e.id for e in candidates)
        return "".join(e.why_not(today) for e in candidates)

    def take(self, key: str) -> list[_Record]:
        with self._lock:
            return self._records.pop(key, [])

    # -- the run ------------------------------------------------------------------------------

    def analyzing(self, delta: int) -> None:
        with self._idle:
            self._analyzing += delta
            if self._analyzing == 0:
                self._idle.notify_all()

    def unmatched(self) -> list[str]:
        """Messages for the exemptions nothing matched this run; then a new run begins.

        Waits for ``Analyze`` calls still running: a client may send ``AnalyzeStack`` before the
        answers to its last ``Analyze`` requests have come back.
        """
        today = self._today()
        with self._idle:
            self._idle.wait_for(lambda: self._analyzing == 0, timeout=_IDLE_TIMEOUT_SECONDS)
            found = []
            for exemption in (e for group in self._by_policy.values() for e in group):
                if exemption.id in self._matched:
                    continue
                what = f"exemption {exemption.id} ({exemption.policy} on {exemption.resource})"
                if exemption.active(today):
                    found.append(f"{what} matched nothing: remove it")
                elif exemption.problem is None:
                    found.append(
                        f"{what} expired on {exemption.expires} and matched nothing: remove it"
                    )
                else:
                    found.append(f"{what} is malformed ({exemption.problem}): fix or remove it")
            self._matched.clear()
            self._records.clear()
        return found

    # -- wiring -------------------------------------------------------------------------------

    def wrap(self, policy: ResourceValidationPolicy | StackValidationPolicy) -> None:
        """Add ``exemptions`` to the rule's config schema and route its reports through here."""
        schema = policy.config_schema
        properties = dict(schema.properties) if schema is not None else {}
        if CONFIG_KEY in properties:
            raise TypeError(f"{policy.name}: config setting {CONFIG_KEY!r} is reserved")
        properties[CONFIG_KEY] = PROPERTY
        # A new schema object: rule modules may share one schema between several rules.
        policy.config_schema = PolicyConfigSchema(
            properties=properties, required=schema.required if schema is not None else None
        )
        stack_rule = isinstance(policy, StackValidationPolicy)
        original = policy.validate
        name = policy.name

        def validate(args: Any, report: ReportViolation) -> Any:
            # A resource rule's report without a URN is about the resource it is given.
            key = _STACK if stack_rule else str(args.urn)
            default_urn = None if stack_rule else str(args.urn)

            def filtered(message: str, urn: str | None = None) -> None:
                note = self.intercept(name, key, urn or default_urn, message)
                if note is not None:
                    report(message + note, urn)

            return original(args, filtered)

        # The SDK calls ``policy.validate(args, report)``; an instance attribute replaces it.
        setattr(policy, "validate", validate)  # noqa: B010 - mypy refuses assigning a method


def applied_message(exemption: Exemption, urn: str, message: str) -> str:
    return (
        f"{exemption.policy} is exempted for {urn} by exemption {exemption.id}: "
        f"{exemption.reason} (approved by {exemption.approved_by}, expires {exemption.expires}). "
        f"The exempted violation: {message}"
    )


class ExemptionApplied(ResourceValidationPolicy, StackValidationPolicy):
    """``policy-exemption-applied``: both a resource and a stack policy under one name.

    The SDK runs every ``ResourceValidationPolicy`` in ``Analyze`` and every
    ``StackValidationPolicy`` in ``AnalyzeStack`` (isinstance checks), and a pack's policy names
    must be unique, so one policy of both kinds reports resource rules' exemptions per resource
    and stack rules' exemptions and the stale ones at the end of the run.
    """

    def __init__(self, ledger: Ledger) -> None:
        # Both bases' constructors chain to Policy with different signatures: call it directly.
        Policy.__init__(
            self,
            name=APPLIED,
            description=(
                "Lists violations that reviewed exemptions turned into exempted results, and "
                "exemptions that matched nothing. Advisory whatever the config says: it records, "
                "it never blocks."
            ),
            enforcement_level=EnforcementLevel.ADVISORY,
            severity=Severity.LOW,
            remediation_steps=(
                "Nothing to fix for an exempted result: review the exemption before it expires. "
                "Remove an exemption that matched nothing from policy_packs/config/exemptions.yaml "
                "and run `python -m clover.pack_config`."
            ),
        )
        self._ledger = ledger

    def validate(
        self, args: ResourceValidationArgs | StackValidationArgs, report_violation: ReportViolation
    ) -> None:
        if isinstance(args, StackValidationArgs):
            for record in self._ledger.take(_STACK):
                report_violation(record.message, record.urn)
            for message in self._ledger.unmatched():
                report_violation(message, None)
            return
        for record in self._ledger.take(str(args.urn)):
            report_violation(record.message, record.urn)

    def has_validation(self) -> bool:
        return True

    def remediate(self, args: ResourceValidationArgs) -> None:
        return None

    def has_remediation(self) -> bool:
        return False


def install(
    servicer: type[Any],
    policies: Sequence[Policy],
    today: Callable[[], datetime.date] = datetime.date.today,
) -> list[Policy]:
    """Wrap every rule, wrap the SDK servicer's ``Configure`` and ``Analyze``, and return the
    policies with ``policy-exemption-applied`` last.

    The SDK offers no public hook (PolicyPack builds its servicer and serves in its constructor),
    so the servicer class is wrapped before construction; requirements.txt pins the SDK to a minor.
    """
    ledger = Ledger(today)
    for policy in policies:
        if not isinstance(policy, ResourceValidationPolicy | StackValidationPolicy):
            raise TypeError(f"{policy.name}: neither a resource nor a stack policy")
        ledger.wrap(policy)
    configure = servicer.Configure
    analyze = servicer.Analyze

    def configure_run(self: Any, request: Any, context: Any) -> Any:
        try:
            ledger.configure(
                {
                    str(name): json_format.MessageToDict(entry.properties)
                    for name, entry in request.policyConfig.items()
                }
            )
        except Exception:  # noqa: BLE001 - fail closed: no exemption applies
            ledger.clear()
        # `"all": "mandatory"` in a config must not make the record of exemptions block.
        request.policyConfig[APPLIED].enforcementLevel = analyzer_pb2.ADVISORY
        return configure(self, request, context)

    def analyze_run(self: Any, request: Any, context: Any) -> Any:
        ledger.analyzing(+1)
        try:
            return analyze(self, request, context)
        finally:
            ledger.analyzing(-1)

    servicer.Configure = configure_run
    servicer.Analyze = analyze_run
    return [*policies, ExemptionApplied(ledger)]
