"""The residency evidence report names every edge service the stack opted into."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from clover.__main__ import main

ROOT = Path(__file__).resolve().parents[1]
PROGRAM = ROOT / "tests" / "data" / "programs" / "edge-cloudfront-bucket"
RESIDENCY = ROOT / "policy_packs" / "eu_residency"
OPT_IN = PROGRAM / "eu_residency.opt-in.json"


def _report(tmp_path: Path, *config: str) -> tuple[int, str, dict[str, Any]]:
    page, facts = tmp_path / "report.html", tmp_path / "report.json"
    code = main(
        [
            "report",
            "--cwd",
            str(PROGRAM),
            "--stack",
            "test",
            "--policy-pack",
            str(RESIDENCY),
            *config,
            "--output",
            str(page),
            "--json",
            str(facts),
        ]
    )
    return code, page.read_text(encoding="utf-8"), json.loads(facts.read_text(encoding="utf-8"))


def _meta_opt_in(page: str) -> str:
    match = re.search(
        r'<span data-edge-services="([^"]*)">edge services opted in <b>([^<]*)</b>', page
    )
    assert match, "the page does not say which edge services are opted in"
    assert match.group(1).split() == [k.strip() for k in match.group(2).split(",") if k != "none"]
    return match.group(2)


def test_no_opt_in_is_shown_as_none_and_the_distribution_fails(tmp_path: Path) -> None:
    code, page, facts = _report(tmp_path)
    assert code == 1
    assert facts["edgeServicesAllowed"] == []
    assert _meta_opt_in(page) == "none"
    assert facts["summary"]["verdict"] == "failed"
    assert any(
        f["policy"] == "aws-edge-service-opt-in-required" and f["urn"].endswith("::downloads")
        for f in facts["findings"]
    )


def test_opt_in_is_in_the_facts_and_on_the_page(tmp_path: Path) -> None:
    code, page, facts = _report(tmp_path, "--policy-pack-config", str(OPT_IN))
    assert code == 0, facts["findings"]
    assert facts["summary"]["verdict"] == "passed"
    assert facts["edgeServicesAllowed"] == ["cloudfront"]
    assert _meta_opt_in(page) == "cloudfront"
    assert {"pack": "eu_residency", "config": OPT_IN.name} in facts["policyPacks"]


def test_every_rule_s_opt_in_is_listed(tmp_path: Path) -> None:
    config = tmp_path / "residency.json"
    config.write_text(
        json.dumps(
            {
                "aws-edge-service-opt-in-required": {
                    "allowEdgeServices": ["cloudfront", "lambda-at-edge"]
                },
                "azure-native-edge-service-opt-in-required": {
                    "allowEdgeServices": ["azure-front-door-cdn"]
                },
            }
        ),
        encoding="utf-8",
    )
    _, page, facts = _report(tmp_path, "--policy-pack-config", str(config))
    kinds = ["azure-front-door-cdn", "cloudfront", "lambda-at-edge"]
    assert facts["edgeServicesAllowed"] == kinds
    assert _meta_opt_in(page) == ", ".join(kinds)
