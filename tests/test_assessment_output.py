"""Every resource shows its residency verdict through the check: placed, neutral or not assessed,
in the text table, the JSON, SARIF and the evidence report."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest

from clover.__main__ import main
from clover.analyzer import PolicyPack
from clover.output.common import NEUTRAL_PACKAGES_DEFAULT, NEUTRAL_TYPES_DEFAULT

ROOT = Path(__file__).resolve().parents[1]
PROGRAMS = ROOT / "tests" / "data" / "programs"
RESIDENCY = ROOT / "policy_packs" / "eu_residency"

MIXED = textwrap.dedent(
    '''
    """An AWS bucket, a random suffix, an unknown package's bucket and kubernetes on EKS."""

    import json

    import pulumi
    import pulumi_aws as aws
    import pulumi_kubernetes as k8s
    import pulumi_random as random


    class Bucket(pulumi.CustomResource):
        def __init__(self, name: str) -> None:
            super().__init__("acme:storage/bucket:Bucket", name, {"tier": "cold"})


    dublin = aws.Provider("dublin", region="eu-west-1")
    on_dublin = pulumi.ResourceOptions(provider=dublin)
    aws.s3.Bucket("exports", opts=on_dublin)
    random.RandomPet("suffix", length=2)
    Bucket("acme-archive")
    cluster = aws.eks.Cluster(
        "eks",
        role_arn="arn:aws:iam::123456789012:role/eks",
        vpc_config={"subnet_ids": ["subnet-1"]},
        opts=on_dublin,
    )
    kubeconfig = pulumi.Output.all(cluster.endpoint, cluster.name).apply(
        lambda a: json.dumps({"clusters": [{"cluster": {"server": a[0]}, "name": a[1]}]})
    )
    eks = k8s.Provider("eks-kube", kubeconfig=kubeconfig)
    k8s.core.v1.Namespace("apps", opts=pulumi.ResourceOptions(provider=eks))
    '''
)


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("mixed")
    (project / "Pulumi.yaml").write_text("name: mixed\nruntime: python\n")
    (project / "Pulumi.test.yaml").write_text("config: {}\n")
    (project / "__main__.py").write_text(MIXED)
    return project


def _check(capsys: pytest.CaptureFixture[str], project: Path, fmt: str) -> tuple[int, str]:
    code = main(
        [
            "check",
            "--cwd",
            str(project),
            "--stack",
            "test",
            "--policy-pack",
            str(RESIDENCY),
            "--format",
            fmt,
            # The text view lists each resource's placement with --table.
            *(["--table"] if fmt == "text" else []),
        ]
    )
    return code, capsys.readouterr().out


def _row(text: str, name: str) -> list[str]:
    line = next(line for line in text.splitlines() if re.match(rf"│ {re.escape(name)} ", line))
    return [cell.strip() for cell in line.strip("│").split("│")]


def test_text_shows_every_custom_resource_with_its_verdict(
    capsys: pytest.CaptureFixture[str], mixed: Path
) -> None:
    code, text = _check(capsys, mixed, "text")
    assert code == 1, text
    assert _row(text, "acme-archive")[1:4] == ["acme:storage/bucket:Bucket", "acme", "not assessed"]
    assert _row(text, "suffix")[2:4] == ["random", "placement-neutral"]
    assert _row(text, "exports")[2:5] == ["aws", "eu-west-1", "IE"]
    # Kubernetes resources are where their cluster is.
    assert _row(text, "apps")[1:5] == ["kubernetes:core/v1:Namespace", "aws", "eu-west-1", "IE"]
    # Providers and components are placed through what they manage or contain: no rows.
    assert not re.search(r"│ (dublin|eks-kube|mixed-test) +│ pulumi:", text)


def test_json_gives_every_resource_an_assessment(
    capsys: pytest.CaptureFixture[str], mixed: Path
) -> None:
    code, out = _check(capsys, mixed, "json")
    assert code == 1
    report = json.loads(out)
    verdicts = {r["name"]: r["assessment"] for r in report["resources"]}
    assert verdicts["acme-archive"] == "not assessed"
    assert verdicts["suffix"] == "neutral"
    assert verdicts["exports"] == "placed"
    assert verdicts["eks"] == "placed"
    assert verdicts["apps"] == "placed"
    assert verdicts["dublin"] == verdicts["eks-kube"] == "neutral"  # providers
    blocked = {d["urn"] for d in report["diagnostics"] if d["enforcementLevel"] == "mandatory"}
    assert {u.rsplit("::", 1)[1] for u in blocked} == {"acme-archive"}


def test_sarif_names_the_not_assessed_resource(
    capsys: pytest.CaptureFixture[str], mixed: Path
) -> None:
    _, out = _check(capsys, mixed, "sarif")
    results = json.loads(out)["runs"][0]["results"]
    (result,) = [r for r in results if r["ruleId"] == "eu-residency/resource-residency-assessed"]
    assert result["level"] == "error"
    assert "residency of acme:storage/bucket:Bucket is not assessed" in result["message"]["text"]


def test_ambient_kubernetes_is_not_assessed_in_the_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _check(capsys, PROGRAMS / "kubernetes-ambient-cluster", "json")
    assert code == 1
    verdicts = {r["name"]: r["assessment"] for r in json.loads(out)["resources"]}
    assert verdicts == {"apps": "not assessed", "customer-settings": "not assessed"}


def _report(tmp_path: Path, project: Path) -> tuple[int, str, dict[str, Any]]:
    page, facts = tmp_path / "report.html", tmp_path / "report.json"
    code = main(
        [
            "report",
            "--cwd",
            str(project),
            "--stack",
            "test",
            "--policy-pack",
            str(RESIDENCY),
            "--output",
            str(page),
            "--json",
            str(facts),
        ]
    )
    return code, page.read_text(encoding="utf-8"), json.loads(facts.read_text(encoding="utf-8"))


def test_report_lists_other_providers_with_their_verdict(tmp_path: Path, mixed: Path) -> None:
    code, page, facts = _report(tmp_path, mixed)
    assert code == 1
    by_name = {r["name"]: r for r in facts["resources"]}
    assert by_name["acme-archive"]["assessment"] == "not assessed"
    assert by_name["acme-archive"]["region"] is None  # nothing to draw on the map
    assert by_name["suffix"]["assessment"] == "neutral"
    assert (by_name["apps"]["cloud"], by_name["apps"]["region"]) == ("aws", "eu-west-1")
    assert by_name["apps"]["country"] == "IE"

    def row(name: str) -> str:
        urn = by_name[name]["urn"]
        match = re.search(rf'<tr[^>]*data-urn="{re.escape(urn)}".*?</tr>', page, re.S)
        assert match is not None, urn
        return match.group(0)

    assert "not assessed" in row("acme-archive")
    assert "placement-neutral" in row("suffix")
    assert "<code>eu-west-1</code>" in row("apps")


def test_clover_neutral_defaults_are_the_packs() -> None:
    # The report and the text table read a run's pack config; without one, the pack's defaults.
    with PolicyPack(RESIDENCY) as pack:
        pack.configure()
        config = pack.effective_config["resource-residency-assessed"]
    assert tuple(config["placementNeutralPackages"]) == NEUTRAL_PACKAGES_DEFAULT
    assert tuple(config["placementNeutralTypes"]) == NEUTRAL_TYPES_DEFAULT
