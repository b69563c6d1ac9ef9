"""The check's JSON document (schema: clover/schemas/check-output.schema.json)."""

from __future__ import annotations

import json
from typing import Any

from clover.check import CheckResult
from clover.output.common import Assessor, _loosened, _shown, sorted_diagnostics


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


def json_error(message: str) -> str:
    """The JSON document for a check that could not run.

    Deliberately no ``summary`` and no ``resources``: a pipeline such as
    ``jq -e '.summary.mandatory == 0'`` then fails instead of reading an empty result as clean,
    and ``.complete`` is false as for an incomplete run."""
    return json.dumps({"error": message, "complete": False}, indent=2) + "\n"
