"""Multi-language (remote) components: their provider plugin would construct their children, which
the offline check cannot run, so a component stands for them with the provider they inherit."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pulumi
import pytest

from clover.__main__ import main
from clover.standin.engine import UNKNOWN, RecordingMocks, run_program

ROOT = Path(__file__).resolve().parents[1]
RESIDENCY = ROOT / "policy_packs" / "eu_residency"

COMPONENT = """
import pulumi
import pulumi_aws as aws


class Remote(pulumi.ComponentResource):
    def __init__(self, token, name, opts=None):
        super().__init__(token, name, {"cidrBlock": "10.0.0.0/16"}, opts, remote=True)
"""


def _check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str
) -> tuple[int, list[dict[str, Any]], list[dict[str, Any]]]:
    (tmp_path / "Pulumi.yaml").write_text("name: remote\nruntime: python\n", encoding="utf-8")
    (tmp_path / "Pulumi.test.yaml").write_text(
        "config:\n  aws:region: eu-west-1\n", encoding="utf-8"
    )
    (tmp_path / "__main__.py").write_text(COMPONENT + textwrap.dedent(body), encoding="utf-8")
    code = main(
        ["check", "-C", str(tmp_path), "-s", "test", "--policy-pack", str(RESIDENCY), "--json"]
    )
    out, err = capsys.readouterr()
    assert code in (0, 1), err
    report = json.loads(out)
    mandatory = [d for d in report["diagnostics"] if d["enforcementLevel"] == "mandatory"]
    return code, mandatory, report["resources"]


def test_a_reviewed_component_on_the_stack_s_region_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, mandatory, resources = _check(tmp_path, capsys, 'Remote("awsx:ec2:Vpc", "network")\n')
    assert (code, mandatory) == (0, [])
    (network,) = [r for r in resources if r["type"] == "awsx:ec2:Vpc"]
    assert (network["region"], network["country"]) == ("eu-west-1", "IE")
    assert network["assessment"] == "placed"


def test_the_text_table_shows_a_remote_component_in_its_children_s_cloud(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _check(tmp_path, capsys, 'Remote("awsx:ec2:Vpc", "network")\n')
    argv = ["check", "-C", str(tmp_path), "-s", "test", "--policy-pack", str(RESIDENCY)]
    code = main([*argv, "--table"])
    out = capsys.readouterr().out
    assert code == 0
    (row,) = [line for line in out.splitlines() if "awsx:ec2:Vpc" in line]
    assert [cell.strip() for cell in row.split("│")][3:6] == ["aws", "eu-west-1", "IE"], row


@pytest.mark.parametrize(
    "options",
    [
        'pulumi.ResourceOptions(providers={"aws": aws.Provider("us", region="us-east-1")})',
        'pulumi.ResourceOptions(providers=[aws.Provider("us", region="us-east-1")])',
    ],
)
def test_a_reviewed_component_handed_a_foreign_provider_is_blocked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], options: str
) -> None:
    body = f'Remote("eks:index:Cluster", "cluster", {options})\n'
    code, mandatory, _ = _check(tmp_path, capsys, body)
    assert code == 1
    (finding,) = [d for d in mandatory if d["urn"].endswith("::cluster")]
    assert finding["policy"] == "aws-resource-region-allowed"
    assert "region 'us-east-1' is not allowed" in finding["message"]


def test_an_unreviewed_remote_component_is_not_assessed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, mandatory, _ = _check(tmp_path, capsys, 'Remote("acme:storage:Archive", "archive")\n')
    assert code == 1
    (finding,) = [d for d in mandatory if d["urn"].endswith("::archive")]
    assert finding["policy"] == "resource-residency-assessed"
    assert "residency of acme:storage:Archive is not assessed" in finding["message"]


def test_a_local_component_stays_a_component(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = """
    class Local(pulumi.ComponentResource):
        def __init__(self, name):
            super().__init__("acme:storage:Archive", name, None, None)

    Local("archive")
    """
    assert _check(tmp_path, capsys, body)[:2] == (0, [])


def test_the_stand_in_records_a_remote_component_and_its_providers_map() -> None:
    import pulumi_aws as aws

    def program() -> None:
        us = aws.Provider("us", region="us-east-1")
        pulumi.ComponentResource(
            "awsx:ec2:Vpc",
            "network",
            {},
            pulumi.ResourceOptions(providers={"aws": us}),
            remote=True,
        )

    recording = run_program(program, project="p", stack="s", config={}, preview=True)
    network = recording.named("network")
    assert network.remote is True
    assert list(network.providers) == ["aws"]
    assert network.providers["aws"].startswith(recording.named("us").urn)


def test_a_remote_component_s_outputs_are_unknown_not_its_inputs() -> None:
    # Its plugin's Construct returns the outputs; offline none is known. Echoing the inputs made
    # awsx `Vpc(nat_gateways={"strategy": "None"})` fail: the SDK read the strategy back as the
    # `nat_gateways` output, a list of NAT gateways. Here an input named as an output of a
    # remote component the installed SDKs declare (pulumi-kubernetes' Chart v4).
    args = pulumi.runtime.MockResourceArgs(
        typ="kubernetes:helm.sh/v4:Chart",
        name="ingress",
        inputs={"chart": "nginx", "resources": {"strategy": "None"}},
        custom=False,
    )
    assert RecordingMocks(preview=True).new_resource(args) == (None, {"resources": UNKNOWN})
    assert RecordingMocks(preview=False).new_resource(args) == (None, {"resources": UNKNOWN})


@pytest.mark.parametrize(("region", "code"), [("eu-west-1", 0), ("us-east-1", 1)])
def test_the_real_awsx_and_eks_sdks_run_and_are_placed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], region: str, code: int
) -> None:
    # The published SDKs, as public programs use them: a VPC, a Fargate cluster's network, an EKS
    # cluster with kubernetes on it, each handed the provider of the region under test.
    body = f"""
        import pulumi_awsx as awsx
        import pulumi_eks as eks
        import pulumi_kubernetes as k8s

        here = aws.Provider("here", region="{region}")
        opts = pulumi.ResourceOptions(providers={{"aws": here}})
        vpc = awsx.ec2.Vpc("network", cidr_block="10.0.0.0/16", opts=opts)
        cluster = eks.Cluster(
            "eks",
            vpc_id=vpc.vpc_id,
            private_subnet_ids=vpc.private_subnet_ids,
            opts=opts,
        )
        kube = k8s.Provider("kube", kubeconfig=cluster.kubeconfig_json)
        k8s.core.v1.Namespace("apps", opts=pulumi.ResourceOptions(provider=kube))
    """
    found_code, mandatory, resources = _check(tmp_path, capsys, body)
    assert found_code == code, mandatory
    types = {r["type"] for r in resources}
    assert {"awsx:ec2:Vpc", "eks:index:Cluster", "kubernetes:core/v1:Namespace"} <= types
    if code:
        blocked = {d["urn"].rsplit("::", 1)[-1] for d in mandatory}
        assert {"network", "eks", "apps"} <= blocked, mandatory
