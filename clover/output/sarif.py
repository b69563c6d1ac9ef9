"""SARIF 2.1.0 for code scanning: one run per pack, rules with security-severity and help, results
deduplicated across runs."""

from __future__ import annotations

import functools
import hashlib
import re
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from clover import __version__
from clover.analyzer import Diagnostic, PolicyInfo, PolicyPack, PolicyPackError
from clover.check import CheckResult
from clover.output.common import (
    SARIF_SCHEMA,
    Assessor,
    placement_row,
    sorted_diagnostics,
)
from clover.pack_config import EXEMPTION_RECORD, Loosening


def _locations(result: CheckResult) -> dict[str, tuple[str, int]]:
    """Per URN, the project file and line that created the resource (the program by default)."""
    root = result.project.directory.resolve()
    fallback = (result.project.main.resolve().relative_to(root).as_posix(), 1)
    found: dict[str, tuple[str, int]] = {}
    for item in result.placed:
        source = item.resource.source
        found[item.resource.urn] = fallback
        if source is None:
            continue
        path = Path(urllib.parse.unquote(urllib.parse.urlparse(source[0]).path)).resolve()
        if path.is_relative_to(root) and ".venv" not in path.parts:
            found[item.resource.urn] = (path.relative_to(root).as_posix(), max(source[1], 1))
    found[""] = fallback
    return found


def to_sarif(result: CheckResult) -> dict[str, Any]:
    """SARIF 2.1.0 for GitHub code scanning: one run per policy pack, one result per distinct
    diagnostic in the run of the pack that reported it, located at the line of the project that
    created the resource."""
    resources, index = _logical_locations(result)
    where = _Where(locations=_locations(result), resources=resources, index=index)
    by_pack: dict[str, list[Diagnostic]] = {}
    for d in sorted_diagnostics(result.diagnostics):
        by_pack.setdefault(d.policy_pack, []).append(d)
    runs: list[dict[str, Any]] = []
    for pack in result.packs:
        info = _pack_info(str(pack.directory.resolve()))
        name = info.name if info is not None else pack.directory.resolve().name.replace("_", "-")
        found = by_pack.pop(name, [])
        runs.append(
            _sarif_run(
                result,
                pack=name,
                info=info,
                diagnostics=found,
                loosened=pack.loosened,
                where=where,
            )
        )
    # A diagnostic from a pack the check did not start itself still gets a run of its own.
    for name in sorted(by_pack):
        runs.append(
            _sarif_run(
                result, pack=name, info=None, diagnostics=by_pack[name], loosened=(), where=where
            )
        )
    if not runs:
        # Code scanning closes the alerts of a category it receives no run for: a stack always
        # gets one, even one no pack judged.
        runs.append(
            _sarif_run(result, pack="", info=None, diagnostics=[], loosened=(), where=where)
        )
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": runs}


@dataclass(frozen=True, kw_only=True)
class _Where:
    """Where a run's results point: the project file and line per URN, and the resources."""

    locations: Mapping[str, tuple[str, int]]
    resources: list[dict[str, Any]]
    index: Mapping[str, int]


@dataclass(frozen=True, kw_only=True)
class _PackInfo:
    name: str
    version: str
    policies: Mapping[str, PolicyInfo]


@functools.cache
def _pack_info(directory: str) -> _PackInfo | None:
    """The pack's name and rules (description, severity, remediation) as its GetAnalyzerInfo
    announces them; None for a pack that cannot be started, whose rules are then described from
    its diagnostics alone.

    A check result keeps the pack's diagnostics, not its rule metadata, so the pack is asked again
    (about 0.3 s), once per directory and process."""
    try:
        with PolicyPack(Path(directory)) as pack:
            return _PackInfo(name=pack.name, version=pack.version, policies=pack.policies)
    except PolicyPackError:
        return None


SECURITY_SEVERITY: Final = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
"""``properties.security-severity`` per rule severity. GitHub code scanning reads the score as
critical above 9.0, high from 7.0 to 8.9, medium from 4.0 to 6.9 and low from 0.1 to 3.9
(https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning#reportingdescriptor-object);
each value sits inside its band, away from the edges."""
README_URI: Final = "https://github.com/clover/clover/blob/main/README.md"
RULE_TABLES: Final = {
    "eu-residency": "### `eu-residency` (`policy_packs/eu_residency/`)",
    "eu-data-protection": "### `eu-data-protection` (`policy_packs/eu_data_protection/`)",
    "eu-access": "### `eu-access` (`policy_packs/eu_access/`)",
}
"""The README heading above each of Clover's packs' rule tables (a test keeps them in the README);
a rule's ``helpUri`` is its anchor."""


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading: the text lowercased, punctuation other than
    ``-`` and ``_`` dropped, spaces turned into ``-`` (as github-slugger does)."""
    text = heading.lstrip("#").strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _level(enforcement: str) -> str:
    return "error" if enforcement == "mandatory" else "warning"


def _rule(pack: str, name: str, info: PolicyInfo | None, seen: Diagnostic | None) -> dict[str, Any]:
    """SARIF 2.1.0 §3.49 reportingDescriptor for one rule, with what code scanning shows on an
    alert: ``help`` (the remediation), ``helpUri`` and ``security-severity``."""
    description = (info.description if info else "") or (seen.description if seen else "")
    severity = (info.severity if info else "") or (seen.severity if seen else "")
    # The level the stack's config gave it where it fired; else the pack's default.
    enforcement = seen.enforcement_level if seen else (info.enforcement_level if info else "")
    remediation = info.remediation.strip() if info else ""
    uri = (info.url if info else "") or (
        f"{README_URI}#{github_anchor(RULE_TABLES[pack])}" if pack in RULE_TABLES else ""
    )
    rule_id = f"{pack}/{name}" if pack else name
    text = description or name
    markdown = f"**{name}** ({severity or 'no severity'}): {text}"
    if remediation:
        text = f"{text}\n\nRemediation: {remediation}"
        markdown = f"{markdown}\n\n**Remediation:** {remediation}"
    if uri:
        markdown = f"{markdown}\n\n[The {pack} rules]({uri})"
    properties: dict[str, Any] = {"tags": ["data-residency", pack] if pack else ["data-residency"]}
    if severity in SECURITY_SEVERITY:
        # Code scanning ranks an alert by security-severity only for a rule tagged security.
        properties["tags"].append("security")
        properties["security-severity"] = SECURITY_SEVERITY[severity]
        properties["severity"] = severity
    return {
        "id": rule_id,
        "name": name,
        "shortDescription": {"text": name},
        "fullDescription": {"text": description or name},
        "help": {"text": text, "markdown": markdown},
        **({"helpUri": uri} if uri else {}),
        "defaultConfiguration": {"level": _level(enforcement)},
        "properties": properties,
    }


EXEMPTED: Final = re.compile(
    r"(?:^|\n)(?P<rule>\S+) is exempted for (?P<urn>\S+) by exemption (?P<id>[^:]+): "
    r"(?P<reason>.*) "
    r"\(approved by (?P<by>.*), expires (?P<expires>\d{4}-\d{2}-\d{2})\)\. "
    r"The exempted violation: (?P<violation>.*)$",
    re.DOTALL,
)
"""The message of ``policy-exemption-applied`` for an applied exemption, as every pack's
``exemptions.applied_message`` writes it after the rule's description line that the SDK puts
first (a stale exemption's message does not match)."""


@dataclass(frozen=True, kw_only=True)
class _Exempted:
    rule: str
    exemption: str
    reason: str
    approved_by: str
    expires: str
    violation: str

    def suppression(self) -> dict[str, Any]:
        """SARIF 2.1.0 §3.35 suppression: reviewed outside the code (``external``, the exemptions
        file) and ``accepted``."""
        return {
            "kind": "external",
            "status": "accepted",
            "justification": (
                f"exemption {self.exemption}: {self.reason} (approved by {self.approved_by}, "
                f"expires {self.expires})"
            ),
            "properties": {
                "exemption": self.exemption,
                "approvedBy": self.approved_by,
                "expires": self.expires,
            },
        }


def _exempted(d: Diagnostic) -> _Exempted | None:
    """The exempted violation a ``policy-exemption-applied`` diagnostic records, or None."""
    if d.policy != EXEMPTION_RECORD:
        return None
    found = EXEMPTED.search(d.message.strip())
    if found is None:
        return None
    return _Exempted(
        rule=found["rule"],
        exemption=found["id"],
        reason=found["reason"],
        approved_by=found["by"],
        expires=found["expires"],
        violation=found["violation"],
    )


def _fingerprint(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()[:32]


def _logical_locations(result: CheckResult) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """SARIF 2.1.0 §3.14.17 run.logicalLocations: every cloud resource of the stack with its
    placement in the property bag (§3.8), so a clean run still shows where everything is; a
    result's logical location points at its resource by ``index`` (§3.33.2)."""
    assessor = Assessor(result)
    found: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for item in sorted(result.placed, key=lambda p: p.resource.urn):
        if item.resource.is_provider or not item.resource.placed_as_resource:
            continue
        cloud, place, country, verdict = placement_row(item, assessor)
        index[item.resource.urn] = len(found)
        found.append(
            {
                "name": item.resource.name,
                "fullyQualifiedName": item.resource.urn,
                "kind": "resource",
                "properties": {
                    "type": item.resource.type,
                    "cloud": cloud,
                    "place": place,
                    "country": None if country == "-" else country,
                    "assessment": verdict,
                },
            }
        )
    return found, index


def _sarif_run(
    result: CheckResult,
    *,
    pack: str,
    info: _PackInfo | None,
    diagnostics: Sequence[Diagnostic],
    loosened: Sequence[Loosening],
    where: _Where,
) -> dict[str, Any]:
    """One pack's run: its rules (every rule it announces, and any other that fired), its
    results, each distinct diagnostic once."""
    first: dict[str, Diagnostic] = {}
    exempted = {id(d): e for d in diagnostics if (e := _exempted(d)) is not None}
    for d in diagnostics:
        first.setdefault(d.policy, d)
    names = [
        *(info.policies if info else ()),
        *(n for n in first if not info or n not in info.policies),
        *(e.rule for e in exempted.values() if not info or e.rule not in info.policies),
    ]
    names = list(dict.fromkeys(names))
    rules = [_rule(pack, n, info.policies.get(n) if info else None, first.get(n)) for n in names]
    rule_index = {rule["name"]: i for i, rule in enumerate(rules)}
    results: list[dict[str, Any]] = []
    seen: set[tuple[str, str, str]] = set()
    for d in diagnostics:
        exemption = exempted.get(id(d))
        policy = exemption.rule if exemption else d.policy
        message = d.message
        if exemption:
            # As the rule itself words a violation: its description line, then what it found.
            described = info.policies.get(policy) if info else None
            parts = (described.description if described else "", exemption.violation)
            message = "\n".join(part for part in parts if part)
        key = (policy, d.urn, message)
        if key in seen:
            continue
        seen.add(key)
        rule_id = rules[rule_index[policy]]["id"]
        artifact, line = where.locations.get(d.urn, where.locations[""])
        results.append(
            {
                "ruleId": rule_id,
                "ruleIndex": rule_index[policy],
                # An exempted violation keeps the level of its rule; the suppression says it is
                # accepted, so code scanning lists it as dismissed, not as an open alert.
                "level": (
                    rules[rule_index[policy]]["defaultConfiguration"]["level"]
                    if exemption
                    else _level(d.enforcement_level)
                ),
                "message": {"text": f"{message} [{d.urn}]" if d.urn else message},
                **({"suppressions": [exemption.suppression()]} if exemption else {}),
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": artifact, "uriBaseId": "PROJECTROOT"},
                            "region": {"startLine": line},
                        },
                        "logicalLocations": [
                            {
                                "fullyQualifiedName": d.urn or result.stack,
                                "kind": "resource",
                                **({"index": where.index[d.urn]} if d.urn in where.index else {}),
                            }
                        ],
                    }
                ],
                # Several resources are often created by one line (a loop, a component): code
                # scanning would fold their alerts into one by the line alone (SARIF 2.1.0
                # §3.27.17), so each is told apart by its resource.
                "partialFingerprints": {
                    "cloverResult/v1": _fingerprint(rule_id, d.urn or result.stack, message)
                },
                "properties": {"severity": d.severity, "stack": result.stack},
            }
        )
    # SARIF 2.1.0 §3.20.14: executionSuccessful is false when the tool did not finish its work;
    # the reason goes in a toolExecutionNotification (§3.20.21), so a partial run is never read as
    # a clean one.
    invocation: dict[str, Any] = {"executionSuccessful": result.incomplete is None}
    if result.incomplete is not None:
        invocation["toolExecutionNotifications"] = [
            {
                "level": "error",
                "message": {"text": f"the program ended before it finished: {result.incomplete}"},
            }
        ]
    driver: dict[str, Any] = {
        # Code scanning refuses an upload with two runs of one tool in one category
        # (https://github.blog/changelog/2025-07-21-code-scanning-will-stop-combining-multiple-sarif-runs-uploaded-in-the-same-sarif-file/):
        # each pack is a tool of its own, the stack the category.
        "name": f"clover/{pack}" if pack else "clover",
        "version": __version__,
        "informationUri": "https://github.com/clover/clover",
        "rules": rules,
    }
    if pack:
        driver["properties"] = {
            "policyPack": pack,
            "policyPackVersion": info.version if info else "",
        }
    return {
        "tool": {"driver": driver},
        "automationDetails": {"id": f"clover-check/{result.stack}/"},
        "invocations": [invocation],
        "logicalLocations": where.resources,
        "results": results,
        # SARIF 2.1.0 §3.8 property bag: the loosenings are facts about the run, not results.
        "properties": {"loosened": [loosening.to_json() for loosening in loosened]},
    }
