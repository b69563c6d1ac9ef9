"""Renderings of a check result: a terminal/CI-log text view, the JSON contract and SARIF 2.1.0."""

from __future__ import annotations

import contextlib
import io
import json
import urllib.parse
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from rich.console import Console
from rich.table import Table

from clover import __version__
from clover.check import CheckResult
from clover.placement import AWS_PACKAGE, AZURE_PACKAGE, Placed, package_of
from clover.standin.engine import UNKNOWN

FORMATS: Final = ("text", "json", "sarif")
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


def cloud_of(item: Placed) -> str | None:
    package = package_of(item.resource.type)
    return {AWS_PACKAGE: "aws", AZURE_PACKAGE: "azure"}.get(package)


def to_json(result: CheckResult) -> dict[str, Any]:
    resources = [
        {
            "urn": p.resource.urn,
            "type": p.resource.type,
            "name": p.resource.name,
            "provider": p.provider.urn if p.provider is not None else None,
            "region": _shown(p.region),
            "location": _shown(p.location),
            "country": p.country,
        }
        for p in result.placed
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
        for d in result.diagnostics
    ]
    return {
        "stack": result.stack,
        # Always present, so a pipeline can insist on `.complete` before trusting the summary.
        "complete": result.incomplete is None,
        "incomplete": result.incomplete,
        "resources": resources,
        "diagnostics": diagnostics,
        "dataSources": [dict(d) for d in result.data_sources],
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
    """SARIF 2.1.0 for GitHub code scanning: one result per diagnostic, located at the line of the
    project that created the resource."""
    locations = _locations(result)
    rules: dict[str, dict[str, Any]] = {}
    results: list[dict[str, Any]] = []
    for d in result.diagnostics:
        rule_id = f"{d.policy_pack}/{d.policy}"
        level = "error" if d.enforcement_level == "mandatory" else "warning"
        rules.setdefault(
            rule_id,
            {
                "id": rule_id,
                "name": d.policy,
                "shortDescription": {"text": d.policy},
                "fullDescription": {"text": d.description or d.policy},
                "defaultConfiguration": {"level": level},
                "properties": {"tags": ["data-residency", d.policy_pack]},
            },
        )
        artifact, line = locations.get(d.urn, locations[""])
        results.append(
            {
                "ruleId": rule_id,
                "ruleIndex": list(rules).index(rule_id),
                "level": level,
                "message": {"text": f"{d.message} [{d.urn}]" if d.urn else d.message},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": artifact, "uriBaseId": "PROJECTROOT"},
                            "region": {"startLine": line},
                        },
                        "logicalLocations": [
                            {"fullyQualifiedName": d.urn or result.stack, "kind": "resource"}
                        ],
                    }
                ],
                "properties": {"severity": d.severity, "stack": result.stack},
            }
        )
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [_sarif_run(result, rules, results)],
    }


def _sarif_run(
    result: CheckResult, rules: dict[str, dict[str, Any]], results: list[dict[str, Any]]
) -> dict[str, Any]:
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
    return {
        "tool": {
            "driver": {
                "name": "clover",
                "version": __version__,
                "informationUri": "https://github.com/clover/clover",
                "rules": list(rules.values()),
            }
        },
        "automationDetails": {"id": f"clover-check/{result.stack}/"},
        "invocations": [invocation],
        "results": results,
    }


def to_text(result: CheckResult, width: int = 120) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, force_terminal=False, color_system=None)
    table = Table(title=f"Placement of stack {result.stack}", show_lines=False)
    for column in ("resource", "type", "cloud", "region", "country", "site"):
        table.add_column(column, overflow="fold")
    provider_sites = sites_by_provider(result.placed)
    for item in result.placed:
        if cloud_of(item) is None:
            continue
        where = item.region or item.location
        shown = "unknown" if where == UNKNOWN else (where or "-")
        table.add_row(
            item.resource.name,
            item.resource.type,
            cloud_of(item) or "-",
            shown,
            item.country or "-",
            site_of(item) or provider_sites.get(item.resource.provider_urn or "") or "-",
        )
    console.print(table)
    by_pack: dict[str, list[Any]] = {}
    for d in result.diagnostics:
        by_pack.setdefault(d.policy_pack, []).append(d)
    for pack, found in by_pack.items():
        console.print(f"\nPolicy pack {pack}: {len(found)} violation(s)")
        for d in found:
            console.print(f"  [{d.enforcement_level}] {d.policy} ({d.severity or '-'})")
            console.print(f"    {d.urn}")
            console.print(f"    {d.message}")
    verdict = "FAILED" if result.mandatory else "passed"
    if result.incomplete is not None and not result.mandatory:
        verdict = "INCOMPLETE"
    console.print(
        f"\nResidency check {verdict}: {len(result.placed)} resources, "
        f"{len(result.mandatory)} mandatory and {len(result.advisory)} advisory violation(s)."
    )
    if result.data_sources:
        shaped = sum(1 for d in result.data_sources if d.get("how") == "shaped")
        console.print(
            f"{len(result.data_sources)} data source call(s) answered offline: "
            f"{len(result.data_sources) - shaped} computed as the provider does, {shaped} "
            "looked up in the cloud by a real preview, given placement values that stay unproven.",
            soft_wrap=True,
        )
    if result.incomplete is not None:
        console.print(
            f"The program ended before it finished ({result.incomplete}): resources it did not "
            "register were not checked, so this is no clean verdict.",
            soft_wrap=True,  # one line, so a log search finds it whole
        )
    return buffer.getvalue()


def render(result: CheckResult, fmt: str) -> str:
    return render_all([result], fmt)


def render_all(results: Sequence[CheckResult], fmt: str) -> str:
    """One document for the stacks asked: JSON wraps them in ``{"stacks": [...]}`` only when
    there is more than one, SARIF gives each stack its own run, text one section per stack."""
    if fmt == "json":
        documents = [to_json(r) for r in results]
        document = documents[0] if len(documents) == 1 else {"stacks": documents}
        return json.dumps(document, indent=2) + "\n"
    if fmt == "sarif":
        logs = [to_sarif(r) for r in results]
        merged = {**logs[0], "runs": [run for log in logs for run in log["runs"]]}
        return json.dumps(merged, indent=2) + "\n"
    return "\n".join(to_text(r) for r in results)


def json_error(message: str) -> str:
    """The JSON document for a check that could not run.

    Deliberately no ``summary`` and no ``resources``: a pipeline such as
    ``jq -e '.summary.mandatory == 0'`` then fails instead of reading an empty result as clean,
    and ``.complete`` is false as for an incomplete run."""
    return json.dumps({"error": message, "complete": False}, indent=2) + "\n"
