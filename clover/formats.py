"""Renderings of a check result: the JSON contract and SARIF 2.1.0; the text view is terminal.py."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import re
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from clover import __version__
from clover.analyzer import Diagnostic, PolicyInfo, PolicyPack, PolicyPackError
from clover.check import CheckResult
from clover.pack_config import EXEMPTION_RECORD, Loosening
from clover.placement import AWS_PACKAGE, AZURE_PACKAGE, Placed, package_of
from clover.standin.engine import UNKNOWN

SARIF_SCHEMA: Final = "https://json.schemastore.org/sarif-2.1.0.json"
SITE_TAG: Final = "residency-site"


def _shown(value: str | None) -> str | None:
    """None where the field does not apply; ``"unknown"`` where the engine could not know it."""
    return "unknown" if value == UNKNOWN else value


def site_of(item: Placed) -> str | None:
    """The site a resource belongs to: its ``residency-site`` tag, else its provider's default."""
    tags = item.properties.get("tags")
    if isinstance(tags, Mapping) and isinstance(tags.get(SITE_TAG), str):
        return str(tags[SITE_TAG])
    if item.provider is not None:
        default_tags = item.provider.inputs.get("defaultTags")
        if isinstance(default_tags, str):
            # Provider inputs carry object-typed settings JSON-encoded, as the engine sends them.
            with contextlib.suppress(json.JSONDecodeError):
                default_tags = json.loads(default_tags)
        if isinstance(default_tags, Mapping):
            inner = default_tags.get("tags")
            if isinstance(inner, Mapping) and isinstance(inner.get(SITE_TAG), str):
                return str(inner[SITE_TAG])
    return None


def sites_by_provider(placed: Sequence[Placed]) -> dict[str, str]:
    """Provider URN to site, where every tagged resource on that provider names the same site.

    Clover builds one provider per (site, cloud), so an untagged resource (a bucket policy, a
    subnet) belongs to the site of the tagged resources beside it; a shared provider gets none.
    """
    seen: dict[str, set[str]] = {}
    for item in placed:
        site = site_of(item)
        provider = item.resource.provider_urn
        if site is not None and provider:
            seen.setdefault(provider, set()).add(site)
    return {urn: next(iter(sites)) for urn, sites in seen.items() if len(sites) == 1}


CLOUDS: Final = {
    AWS_PACKAGE: "aws",
    "aws-native": "aws",
    AZURE_PACKAGE: "azure",
    "azure": "azure",
    "gcp": "gcp",
}
"""The cloud whose regions a package's placements name (the allow-list they are read against)."""


def cloud_of(item: Placed) -> str | None:
    """The cloud a resource is in; a remote component's is its children's provider's."""
    return CLOUDS.get(item.provider_package or package_of(item.resource.type))


PLACED: Final = "placed"
NEUTRAL: Final = "neutral"
NOT_ASSESSED: Final = "not assessed"
RESIDENCY_PACK: Final = "eu_residency"
ASSESSMENT_POLICY: Final = "resource-residency-assessed"
NOT_ASSESSED_TEXT: Final = "is not assessed"
"""What a residency rule's message says when the pack cannot place a resource at all (the
assessment rule, and the Kubernetes rule for a resource whose cluster is not in the stack)."""
NEUTRAL_PACKAGES_DEFAULT: Final = ("random", "tls", "time", "archive", "pulumi")
NEUTRAL_TYPES_DEFAULT: Final = ("command:local:*",)
"""The residency pack's default ``placementNeutralPackages`` / ``placementNeutralTypes`` (a test
keeps them equal to the pack's schema); a run's pack config replaces them."""
CLUSTER_TYPES: Final = frozenset(
    {
        "aws:eks/cluster:Cluster",
        "azure-native:containerservice:ManagedCluster",
        "gcp:container/cluster:Cluster",
        # pulumi-eks's component, placed in its cluster's cloud (remote_components.json).
        "eks:index:Cluster",
    }
)


def _assessment_config(result: CheckResult) -> tuple[bool, tuple[str, ...], tuple[str, ...]]:
    """(whether the residency pack judged every resource, neutral packages, neutral types)."""
    packages: tuple[str, ...] = NEUTRAL_PACKAGES_DEFAULT
    types: tuple[str, ...] = NEUTRAL_TYPES_DEFAULT
    runs = [run for run in result.packs if run.directory.name == RESIDENCY_PACK]
    if not runs:
        return False, packages, types
    config: Any = {}
    if runs[0].config_file is not None:
        with contextlib.suppress(OSError, ValueError):
            config = json.loads(runs[0].config_file.read_text(encoding="utf-8"))
    entry = config.get(ASSESSMENT_POLICY) if isinstance(config, Mapping) else None
    if entry == "disabled" or (
        isinstance(entry, Mapping) and entry.get("enforcementLevel") == "disabled"
    ):
        return False, packages, types
    if isinstance(entry, Mapping):
        given = entry.get("placementNeutralPackages")
        packages = tuple(str(v) for v in given) if isinstance(given, list) else packages
        given = entry.get("placementNeutralTypes")
        types = tuple(str(v) for v in given) if isinstance(given, list) else types
    return True, packages, types


class Assessor:
    """Each resource's residency verdict as the check shows it: ``placed`` (its placement is
    known or a residency rule placed it), ``neutral`` (a provider, a component, or a reviewed
    placement-neutral package or type) or ``not assessed`` (a rule said so, or no residency pack
    ran to judge it: fail closed)."""

    def __init__(self, result: CheckResult) -> None:
        self.not_assessed = {
            d.urn
            for d in result.diagnostics
            if d.policy == ASSESSMENT_POLICY or NOT_ASSESSED_TEXT in d.message
        }
        self.judged, self.packages, self.types = _assessment_config(result)
        self.by_urn = {p.resource.urn: p for p in result.placed}

    def cluster_of(self, item: Placed) -> Placed | None:
        """The in-stack cluster a kubernetes resource's provider kubeconfig is built from."""
        if item.provider is None or not item.resource.type.startswith("kubernetes:"):
            return None
        for urn in item.provider.property_dependencies.get("kubeconfig", ()):
            cluster = self.by_urn.get(urn)
            if cluster is not None and cluster.resource.type in CLUSTER_TYPES:
                return cluster
        return None

    def placement(self, item: Placed) -> Placed:
        """Whose placement is this resource's: its cluster's for kubernetes, else its own."""
        return self.cluster_of(item) or item

    def _neutral(self, type_: str) -> bool:
        if package_of(type_) in self.packages and not type_.startswith("pulumi:providers:"):
            return True
        return any(type_.startswith(t[:-1]) if t.endswith("*") else type_ == t for t in self.types)

    def of(self, item: Placed) -> str:
        resource = item.resource
        if resource.urn in self.not_assessed:
            return NOT_ASSESSED
        if resource.is_provider or not resource.placed_as_resource:
            return NEUTRAL
        if self.placement(item).place is not None:
            return PLACED
        if self._neutral(resource.type):
            return NEUTRAL
        return PLACED if self.judged else NOT_ASSESSED


def _loosened(result: CheckResult) -> list[dict[str, Any]]:
    """How the stack's pack configs are looser than the packs' strict bases."""
    return [loosening.to_json() for run in result.packs for loosening in run.loosened]


def sorted_diagnostics(found: Sequence[Diagnostic]) -> list[Diagnostic]:
    """Violations in one order whatever order the packs answered in: by resource (URN), pack,
    level (mandatory first), rule and message."""
    levels = {"mandatory": 0, "advisory": 1}
    return sorted(
        found,
        key=lambda d: (
            d.urn,
            d.policy_pack,
            levels.get(d.enforcement_level, 9),
            d.policy,
            d.message,
        ),
    )


def to_json(result: CheckResult) -> dict[str, Any]:
    assessor = Assessor(result)
    resources = [
        {
            "urn": p.resource.urn,
            "type": p.resource.type,
            "name": p.resource.name,
            "provider": p.provider.urn if p.provider is not None else None,
            # ``region``: an AWS region, or a Google Cloud location (region, zone or multi-region
            # such as ``EU``, as Google writes it); ``location``: an Azure location. The keys are
            # the contract (tests/test_check.py), so GCP takes the region-shaped one.
            "region": _shown(p.region if p.region is not None else p.gcp_location),
            "location": _shown(p.location),
            "country": p.country,
            "assessment": assessor.of(p),
        }
        for p in sorted(result.placed, key=lambda p: p.resource.urn)
    ]
    diagnostics = [
        {
            "policyPack": d.policy_pack,
            "policy": d.policy,
            "enforcementLevel": d.enforcement_level,
            "severity": d.severity,
            "urn": d.urn,
            "message": d.message,
        }
        for d in sorted_diagnostics(result.diagnostics)
    ]
    return {
        "stack": result.stack,
        # Always present, so a pipeline can insist on `.complete` before trusting the summary.
        "complete": result.incomplete is None,
        "incomplete": result.incomplete,
        "resources": resources,
        "diagnostics": diagnostics,
        "dataSources": [dict(d) for d in result.data_sources],
        "loosened": _loosened(result),
        "summary": {
            "resources": len(resources),
            "mandatory": len(result.mandatory),
            "advisory": len(result.advisory),
        },
    }


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


def _placement_row(item: Placed, assessor: Assessor) -> tuple[str, str, str, str]:
    """(cloud, place, country, verdict) as the text table shows them: a kubernetes resource is
    where its cluster is; a resource no pack could place is ``not assessed``, never ``-``."""
    verdict = assessor.of(item)
    placement = assessor.placement(item)
    where = placement.place
    shown = "unknown" if where == UNKNOWN else (where or "-")
    if verdict != PLACED:
        shown = "placement-neutral" if verdict == NEUTRAL else NOT_ASSESSED
    cloud = cloud_of(placement) or package_of(item.resource.type)
    return cloud, shown, placement.country or "-", verdict


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
        cloud, place, country, verdict = _placement_row(item, assessor)
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


def render(result: CheckResult, fmt: str, *, color: bool = False, table: bool = False) -> str:
    return render_all([result], fmt, color=color, table=table)


def render_all(
    results: Sequence[CheckResult],
    fmt: str,
    *,
    color: bool = False,
    table: bool = False,
    width: int = 120,
) -> str:
    """One document for the stacks asked: JSON wraps them in ``{"stacks": [...]}`` only when
    there is more than one, SARIF gives each stack its own run, text one section per stack
    (clover/terminal.py; ``color``, ``table`` and ``width`` are the text view's)."""
    if fmt == "json":
        documents = [to_json(r) for r in results]
        document = documents[0] if len(documents) == 1 else {"stacks": documents}
        return json.dumps(document, indent=2) + "\n"
    if fmt == "sarif":
        logs = [to_sarif(r) for r in results]
        merged = {**logs[0], "runs": [run for log in logs for run in log["runs"]]}
        return json.dumps(merged, indent=2) + "\n"
    from clover.terminal import to_text  # noqa: PLC0415 - it builds on this module

    return "\n".join(to_text(r, width=width, color=color, table=table) for r in results)


def json_error(message: str) -> str:
    """The JSON document for a check that could not run.

    Deliberately no ``summary`` and no ``resources``: a pipeline such as
    ``jq -e '.summary.mandatory == 0'`` then fails instead of reading an empty result as clean,
    and ``.complete`` is false as for an incomplete run."""
    return json.dumps({"error": message, "complete": False}, indent=2) + "\n"
