"""The report's page: one self-contained HTML file rendered by jinja2 with autoescaping from
report_template.html and report_map.svg beside this module."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import jinja2

from clover import __version__
from clover.output.common import NEUTRAL
from clover.report.build import to_json
from clover.report.map import CLOUD_NAMES, country_name, map_model
from clover.report.model import (
    GLOBAL,
    NO_DATA,
    NO_SITE,
    NOT_APPLICABLE,
    NOT_ASSESSED,
    UNKNOWN_AT_PREVIEW,
    Flow,
    Report,
    ResourceFacts,
    type_name,
)

# ---------------------------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------------------------


def holds_data(resource: ResourceFacts) -> bool:
    """Whether an auditor reads the resource among the data stores: every cloud resource but
    the configuration, identity and network plumbing the report knows to hold no data. A type it
    does not know is shown as a data store, never folded away."""
    return resource.kind == "resource" and not NO_DATA.match(type_name(resource.type))


def _needs_eyes(resource: ResourceFacts) -> bool:
    """A folded resource that must not stay folded: blocked, or placed outside the allow-list."""
    return bool(resource.mandatory) or resource.in_allow_list is False


def _groups(report: Report, members: Sequence[ResourceFacts]) -> list[dict[str, Any]]:
    """Resources by site, in the order of the sites table."""
    by_site: dict[str, list[ResourceFacts]] = {}
    for resource in members:
        by_site.setdefault(resource.site or NO_SITE, []).append(resource)
    return [
        {
            "label": f"site {site.site}" if site.site != NO_SITE else site.site,
            "resources": by_site[site.site],
        }
        for site in report.sites
        if site.site in by_site
    ]


_ENVIRONMENT: Final = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent),
    # Every value is escaped unless a template marks it safe; none does.
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)

_TEMPLATE: Final = "report_template.html"


def page_context(report: Report) -> dict[str, Any]:
    """Everything the template shows, already derived: it only lays it out."""
    stores = [r for r in report.cloud_resources if holds_data(r)]
    plumbing = [r for r in report.cloud_resources if not holds_data(r)]
    declared: dict[str, list[Flow]] = {}
    for flow in report.flows:
        for urn in flow.declared_by:
            declared.setdefault(urn, []).append(flow)
    findings = sorted(
        report.findings,
        key=lambda f: (f.enforcement_level != "mandatory", f.policy_pack, f.policy, f.urn),
    )
    return {
        "report": report,
        "version": __version__,
        "summary": to_json(report)["summary"],
        "stores": _groups(report, stores),
        "store_count": len(stores),
        "plumbing": _groups(report, plumbing),
        "plumbing_count": len(plumbing),
        "plumbing_open": any(_needs_eyes(r) for r in plumbing),
        "others": [r for r in report.resources if r.kind != "resource"],
        "flows_by_id": {f.id: f for f in report.flows},
        "declared": declared,
        "names": {r.urn: r.name for r in report.resources},
        "findings": findings,
        "cloud_names": CLOUD_NAMES,
        "map": map_model(report),
        "constants": {
            "unknown_at_preview": UNKNOWN_AT_PREVIEW,
            "not_assessed": NOT_ASSESSED,
            "not_applicable": NOT_APPLICABLE,
            "neutral": NEUTRAL,
            "global": GLOBAL,
        },
    }


def to_html(report: Report) -> str:
    """One self-contained page: inline CSS and SVG, no script, nothing loaded from anywhere."""
    template = _ENVIRONMENT.get_template(_TEMPLATE)
    template.globals["country_name"] = country_name
    return template.render(page_context(report))
