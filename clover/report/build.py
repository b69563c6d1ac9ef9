"""Assembling the report from one check run, and its JSON."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

from clover import __version__, facts
from clover.check import CheckResult
from clover.output.common import PLACED, Assessor, cloud_of, site_of, sites_by_provider
from clover.placement import (
    Placed,
    normalise_azure_location,
    normalise_gcp_location,
)
from clover.report.flows import Deriver, ResourceIndex
from clover.report.model import (
    GCP,
    GLOBAL,
    NO_SITE,
    NOT_APPLICABLE,
    RESIDENCY_PACK,
    Endpoint,
    Finding,
    Flow,
    Report,
    ResourceFacts,
    SiteSummary,
    declared_sites,
    place_country,
    shorten,
    shown_place,
)
from clover.report.pack_flows import PackFlow, pack_flows

# ---------------------------------------------------------------------------------------------
# Assembling the report
# ---------------------------------------------------------------------------------------------


def allow_list(result: CheckResult) -> dict[str, tuple[str, ...]]:
    """Where data may go, per cloud: the residency pack's configured lists for this run
    (``allowedRegions``, ``allowedLocations``, ``allowedGcpLocations``), else the EEA's
    places (clover/facts.py), the pack's own defaults."""
    aws: set[str] | None = None
    azure: set[str] | None = None
    gcp: set[str] | None = None
    for run in result.packs:
        if run.directory.name != RESIDENCY_PACK or run.config_file is None:
            continue
        try:
            config = json.loads(run.config_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # the check itself has already refused an unreadable config
        for policy in config.values() if isinstance(config, dict) else ():
            if not isinstance(policy, Mapping):
                continue
            regions = policy.get("allowedRegions")
            if isinstance(regions, list):
                aws = set(regions) if aws is None else aws & set(regions)
            locations = policy.get("allowedLocations")
            if isinstance(locations, list):
                wanted = {normalise_azure_location(str(v)) for v in locations}
                azure = wanted if azure is None else azure & wanted
            # gcp-resource-location-allowed's allowedGcpLocations (default: the EEA regions, EU,
            # EUR4, eur3), case-insensitive like the pack's residency_common.allowed_gcp_locations.
            gcp_locations = policy.get("allowedGcpLocations")
            if isinstance(gcp_locations, list):
                wanted = {normalise_gcp_location(str(v)) for v in gcp_locations}
                gcp = wanted if gcp is None else gcp & wanted
    approved_gcp = {normalise_gcp_location(code) for code in facts.EEA_GCP_LOCATIONS}
    return {
        "aws": tuple(sorted(facts.EEA_AWS_REGIONS if aws is None else aws)),
        "azure": tuple(sorted(facts.EEA_AZURE_LOCATIONS if azure is None else azure)),
        GCP: tuple(sorted(approved_gcp if gcp is None else gcp)),
    }


def edge_services(result: CheckResult) -> tuple[str, ...]:
    """The edge-service kinds the residency pack was configured to allow for this run.

    Each kind is a loosening of residency (copies at edge locations worldwide), so the report
    names every one the config lists, from whichever rule lists it.
    """
    kinds: set[str] = set()
    for run in result.packs:
        if run.directory.name != RESIDENCY_PACK or run.config_file is None:
            continue
        try:
            config = json.loads(run.config_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # the check itself has already refused an unreadable config
        for policy in config.values() if isinstance(config, dict) else ():
            allowed = policy.get("allowEdgeServices") if isinstance(policy, Mapping) else None
            if isinstance(allowed, list):
                kinds.update(str(kind) for kind in allowed)
    return tuple(sorted(kinds))


def _kind(item: Placed) -> str:
    if item.resource.is_provider:
        return "provider"
    return "resource" if item.resource.placed_as_resource else "component"


def build(result: CheckResult, *, now: datetime | None = None) -> Report:
    """Derive the report's facts from one check run."""
    allowed = allow_list(result)
    derive = Deriver(result, {cloud: frozenset(codes) for cloud, codes in allowed.items()})
    flows = _with_pack_flows(derive.flows(), pack_flows(result), derive.index)
    findings = tuple(
        Finding(
            policy_pack=d.policy_pack,
            policy=d.policy,
            enforcement_level=d.enforcement_level,
            severity=d.severity,
            urn=d.urn,
            message=d.message,
        )
        for d in result.diagnostics
    )
    by_urn: dict[str, list[Finding]] = {}
    for finding in findings:
        by_urn.setdefault(finding.urn, []).append(finding)
    provider_sites = sites_by_provider(result.placed)
    declared = declared_sites(result.outputs)
    countries = {d.name: d.country for d in declared}
    assessor = Assessor(result)
    resources = []
    # Registration order varies between runs of an async program; the report's does not.
    for item in sorted(result.placed, key=lambda p: p.resource.urn):
        kind = _kind(item)
        assessment = assessor.of(item)
        # A kubernetes resource is placed where its cluster is; a resource the packs could not
        # place, or one placed nowhere, has no region to draw.
        where = assessor.placement(item)
        placed = kind == "resource" and assessment == PLACED
        cloud = cloud_of(where) if placed else None
        region = shown_place(where.place) if placed else None
        site, site_from = site_of(item), "tag"
        if site is None and kind == "resource":
            site = provider_sites.get(item.resource.provider_urn or "")
            site_from = "provider"
        site_country = countries.get(site) if site is not None else None
        resources.append(
            ResourceFacts(
                urn=item.resource.urn,
                type=item.resource.type,
                name=item.resource.name,
                kind=kind,
                site=site,
                site_from=site_from if site is not None else None,
                cloud=cloud,
                region=region,
                country=where.country if placed else None,
                in_allow_list=(None if region in {None, GLOBAL} else derive.allowed(cloud, region)),
                outside_site_country=bool(
                    site_country and item.country and item.country != site_country
                ),
                encryption=derive.encryption(item) if kind == "resource" else NOT_APPLICABLE,
                targets=tuple(f.id for f in flows if f.source.urn == item.resource.urn),
                findings=tuple(by_urn.get(item.resource.urn, ())),
                assessment=assessment,
            )
        )
    packs = tuple(
        (run.directory.name, run.config_file.name if run.config_file else None)
        for run in result.packs
    )
    report = Report(
        project=result.project.name,
        stack=result.stack,
        generated_at=(now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M:%S UTC"),
        revision=os.environ.get("GITHUB_SHA") or None,
        packs=packs,
        loosened=tuple(item.describe() for run in result.packs for item in run.loosened),
        allow_list=allowed,
        resources=tuple(resources),
        flows=tuple(flows),
        findings=findings,
        incomplete=result.incomplete,
        edge_services=edge_services(result),
        declared_sites=declared,
    )
    return Report(**{**report.__dict__, "sites": _site_summaries(report)})


REFERENCE: Final = "reference"
"""The kind of a flow only the data-flow rule found (a log group, a subscription endpoint...)."""


def _with_pack_flows(
    flows: list[Flow], found: Sequence[PackFlow] | None, index: ResourceIndex
) -> list[Flow]:
    """The report's flows with every flow the data-flow rule resolved: one it already has is
    marked with how the rule proved it (and outside the allow-list if the rule blocked it), any
    other is added, so the picture and the verdict cannot disagree (clover/report/pack_flows.py)."""
    merged = list(flows)
    # In a fixed order, so that the ids of the added flows do not depend on registration order.
    ordered = sorted(
        found or (),
        key=lambda f: (f.source, f.path, f.destination or "", str(f.value), f.how),
    )
    for flow in ordered:
        source = index.by_urn.get(flow.source)
        if source is None:
            continue
        target = index.by_urn.get(flow.destination or "")
        if target is not None:
            destination = index.endpoint(target)
        else:
            where = flow.place or "unknown"
            destination = Endpoint(
                label=shorten(str(flow.value)),
                cloud=flow.cloud,
                region=where,
                country=place_country(flow.cloud, where),
            )
        same = next(
            (
                i
                for i, f in enumerate(merged)
                if flow.source in f.declared_by
                and (f.destination.urn or f.destination.label)
                == (destination.urn or destination.label)
            ),
            None,
        )
        if same is not None:
            known = merged[same]
            merged[same] = Flow(
                **{
                    **known.__dict__,
                    "in_allow_list": known.in_allow_list and flow.allowed,
                    "proven": known.proven or f"{flow.path}: {flow.how}",
                }
            )
            continue
        merged.append(
            Flow(
                id=f"F{len(merged) + 1}",
                kind=REFERENCE,
                what=flow.path,
                source=index.endpoint(source),
                destination=destination,
                declared_by=(flow.source,),
                in_allow_list=flow.allowed,
                proven=flow.how,
            )
        )
    return merged


def is_drawn(flow: Flow) -> bool:
    """Whether the map draws the flow: a reference the rule allowed (a bucket's versioning naming
    its bucket, a role assignment naming its vault) is listed with how it was proven, not drawn,
    or the arrows that matter would drown among them; one the rule blocked is drawn."""
    return not (flow.kind == REFERENCE and flow.in_allow_list)


def _site_summaries(report: Report) -> tuple[SiteSummary, ...]:
    groups: dict[str, list[ResourceFacts]] = {}
    for resource in report.cloud_resources:
        groups.setdefault(resource.site or NO_SITE, []).append(resource)
    named = [d.name for d in report.declared_sites]
    order = [s for s in named if s in groups] + sorted(set(groups) - set(named))
    site_of_urn = {r.urn: r.site or NO_SITE for r in report.cloud_resources}
    summaries = []
    for site in order:
        members = groups[site]
        out = [f for f in report.flows if site_of_urn.get(f.source.urn or "") == site]
        summaries.append(
            SiteSummary(
                site=site,
                country=report.site_country(site),
                resources=len(members),
                clouds=tuple(sorted({r.cloud for r in members if r.cloud})),
                regions=tuple(
                    sorted({r.region for r in members if r.region and r.region != GLOBAL})
                ),
                countries=tuple(sorted({r.country for r in members if r.country})),
                flows_out=len(out),
                flows_outside_allow_list=sum(1 for f in out if not f.in_allow_list),
                mandatory=sum(r.mandatory for r in members),
                advisory=sum(r.advisory for r in members),
            )
        )
    return tuple(summaries)


def to_json(report: Report) -> dict[str, Any]:
    return {
        "project": report.project,
        "stack": report.stack,
        "generatedAt": report.generated_at,
        "generatedBy": f"clover {__version__}",
        "revision": report.revision,
        "policyPacks": [{"pack": pack, "config": config} for pack, config in report.packs],
        "loosened": list(report.loosened),
        "allowList": {cloud: list(codes) for cloud, codes in report.allow_list.items()},
        "edgeServicesAllowed": list(report.edge_services),
        "complete": report.incomplete is None,
        "incomplete": report.incomplete,
        "summary": {
            # A run that ended early is never "passed": what it did not register was not seen.
            "verdict": "failed"
            if report.mandatory
            else "incomplete"
            if report.incomplete
            else "passed",
            "resources": len(report.cloud_resources),
            "providersAndComponents": len(report.resources) - len(report.cloud_resources),
            "flows": len(report.flows),
            "flowsOutsideAllowList": sum(1 for f in report.flows if not f.in_allow_list),
            "resourcesOutsideAllowList": sum(
                1 for r in report.cloud_resources if r.in_allow_list is False
            ),
            "mandatory": report.mandatory,
            "advisory": report.advisory,
        },
        "sites": [s.as_json() for s in report.sites],
        "resources": [r.as_json() for r in report.resources],
        "flows": [f.as_json() for f in report.flows],
        "findings": [f.as_json() for f in report.findings],
    }


def render_json(report: Report) -> str:
    return json.dumps(to_json(report), indent=2, ensure_ascii=False) + "\n"
