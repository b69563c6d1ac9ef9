"""``python -m clover report``: the residency evidence report, its JSON facts and its picture."""

from __future__ import annotations

import json
import re
import textwrap
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from clover import facts
from clover.__main__ import main
from clover.report.map import (
    GCP_COLOUR,
    MAP_WIDTH,
    OK_COLOUR,
    REGION_POSITIONS,
    WARN_COLOUR,
    MapView,
    atlas,
    fit_view,
)
from clover.report.model import UNKNOWN_AT_PREVIEW
from sites.catalog import SITES

ROOT = Path(__file__).resolve().parents[1]
PROGRAMS = ROOT / "tests" / "data" / "programs"
RESIDENCY = ROOT / "policy_packs" / "eu_residency"

_PATH = re.compile(r'<path class="flow"[^>]*>')


def _report(tmp_path: Path, *args: str) -> tuple[int, str, dict[str, Any]]:
    page, facts = tmp_path / "report.html", tmp_path / "report.json"
    code = main(["report", *args, "--output", str(page), "--json", str(facts)])
    return code, page.read_text(encoding="utf-8"), json.loads(facts.read_text(encoding="utf-8"))


def _misplaced(tmp_path: Path, program: str) -> tuple[int, str, dict[str, Any]]:
    return _report(
        tmp_path,
        "--cwd",
        str(PROGRAMS / program),
        "--stack",
        "test",
        "--policy-pack",
        str(RESIDENCY),
    )


def _arrows(page: str) -> list[dict[str, str]]:
    return [dict(re.findall(r'([\w-]+)="([^"]*)"', tag)) for tag in _PATH.findall(page)]


def declared(facts: dict[str, Any]) -> list[dict[str, Any]]:
    """The flows the report derives itself, without the data-flow rule's other references."""
    return [f for f in facts["flows"] if f["kind"] != "reference"]


def drawn(facts: dict[str, Any]) -> list[dict[str, Any]]:
    """The flows with an arrow: all but the references the data-flow rule allowed."""
    return [f for f in facts["flows"] if not (f["kind"] == "reference" and f["inAllowList"])]


def assert_consistent(page: str, facts: dict[str, Any]) -> None:
    """Every resource listed exactly once; one arrow per drawn flow; per-site counts add up."""
    listed = Counter(re.findall(r'<tr[^>]* data-urn="([^"]+)"', page))
    urns = [r["urn"] for r in facts["resources"]]
    assert len(urns) == len(set(urns))
    assert listed == Counter(urns), set(listed) ^ set(urns)
    arrows = _arrows(page)
    assert len(arrows) == len(drawn(facts))
    assert sorted(a["data-flow"] for a in arrows) == sorted(f["id"] for f in drawn(facts))
    # Every flow is listed, drawn or not, with how the data-flow rule proved it.
    assert sorted(re.findall(r'<tr[^>]* data-flow="([^"]+)"', page)) == sorted(
        f["id"] for f in facts["flows"]
    )
    for arrow in arrows:
        flow = next(f for f in facts["flows"] if f["id"] == arrow["data-flow"])
        assert arrow["stroke"] == (OK_COLOUR if flow["inAllowList"] else WARN_COLOUR), flow
    cloud = [r for r in facts["resources"] if r["kind"] == "resource"]
    assert facts["summary"]["resources"] == len(cloud)
    assert sum(s["resources"] for s in facts["sites"]) == len(cloud)
    for site in facts["sites"]:
        members = [r for r in cloud if (r["site"] or "(no site tag)") == site["site"]]
        assert site["resources"] == len(members), site
        assert f'data-site="{site["site"]}" data-count="{len(members)}"' in page
    assert facts["summary"]["flows"] == len(facts["flows"])


def assert_self_contained(page: str) -> None:
    """Nothing is fetched when the page is opened: no remote src/href, no script, no import."""
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page, re.I)
    assert not re.search(r"<script|<link|<iframe|<img|@import|url\(\s*['\"]?(?!#)", page, re.I)
    # No attribute of any element holds a URL (action, srcset, poster, data...). A URL in the
    # page's text is a fact being reported (a flow's external endpoint), escaped, never loaded.
    assert not re.search(r"""=\s*["']?\s*(?:https?:)?//""", page, re.I)


# -- the misplaced programs ----------------------------------------------------------------------

MISPLACED = sorted(p.name for p in PROGRAMS.iterdir() if p.is_dir())


@pytest.mark.parametrize("program", MISPLACED)
def test_every_misplaced_program_is_reported_consistently(tmp_path: Path, program: str) -> None:
    code, page, facts = _misplaced(tmp_path, program)
    assert code == 1, "every misplaced program has a mandatory violation"
    assert facts["summary"]["verdict"] == "failed"
    assert 'data-verdict="failed"' in page
    assert_consistent(page, facts)
    assert_self_contained(page)
    # Something is out of place in each program: a resource, a flow or an unknown region.
    outside = (
        facts["summary"]["resourcesOutsideAllowList"] + facts["summary"]["flowsOutsideAllowList"]
    )
    assert outside or facts["summary"]["mandatory"]


def test_backup_copy_to_singapore_is_an_arrow_in_the_warning_colour(tmp_path: Path) -> None:
    _, page, facts = _misplaced(tmp_path, "aws-backup-copy-singapore")
    (flow,) = declared(facts)
    assert flow["proven"] == "rules[0].copyActions[0].destinationVaultArn: as written"
    assert flow["kind"] == "backup copy"
    assert flow["source"]["region"] == "eu-west-1"
    assert flow["destination"]["region"] == "ap-southeast-1"
    assert flow["destination"]["country"] == "SG"
    assert flow["inAllowList"] is False
    (arrow,) = _arrows(page)
    assert arrow["stroke"] == WARN_COLOUR
    assert arrow["data-allowed"] == "false"
    assert arrow["marker-end"] == "url(#arrow-warn)"
    # Singapore is drawn off the map, in the warning colour.
    assert re.search(r'class="region off-map" data-region="ap-southeast-1"[^>]*false', page)
    nightly = next(r for r in facts["resources"] if r["name"] == "nightly")
    assert nightly["verdict"]["mandatory"] >= 1
    vault = next(r for r in facts["resources"] if r["name"] == "primary")
    assert vault["targets"] == [flow["id"]]


def test_replication_to_an_external_bucket_has_an_unknown_destination(tmp_path: Path) -> None:
    _, page, facts = _misplaced(tmp_path, "aws-replication-external-bucket")
    (flow,) = declared(facts)
    assert flow["kind"] == "replication"
    assert flow["source"]["label"] == "source"
    # An S3 ARN names no region: the destination cannot be proven, so it is not allowed.
    assert flow["destination"]["region"] == "unknown"
    assert "someone-elses-bucket" in flow["destination"]["label"]
    assert flow["inAllowList"] is False
    assert _arrows(page)[0]["stroke"] == WARN_COLOUR
    assert UNKNOWN_AT_PREVIEW in page


def test_resource_outside_europe_is_drawn_off_map(tmp_path: Path) -> None:
    _, page, facts = _misplaced(tmp_path, "aws-bucket-us-east-1")
    bucket = next(r for r in facts["resources"] if r["name"] == "customer-exports")
    assert bucket["region"] == "us-east-1"
    assert bucket["inAllowList"] is False
    assert facts["summary"]["resourcesOutsideAllowList"] >= 1
    assert re.search(r'class="region off-map" data-region="us-east-1"', page)


def test_geo_redundant_storage_without_an_approved_pair_is_a_warning(tmp_path: Path) -> None:
    _, _, facts = _misplaced(tmp_path, "azure-grs-without-approved-pair")
    geo = [f for f in facts["flows"] if "geo-redundant" in f["what"]]
    assert geo
    assert all(not f["inAllowList"] for f in geo)


# -- a program with every kind of flow the report knows --------------------------------------------

FLOWS_PROGRAM = """
import json

import pulumi
import pulumi_aws as aws
import pulumi_azure_native as azure_native

site = {"tags": {"residency-site": "dublin"}}
eu = aws.Provider("eu", region="eu-west-1", default_tags=site)
fra = aws.Provider("fra", region="eu-central-1", default_tags=site)
opts = pulumi.ResourceOptions(provider=eu)
key = aws.kms.Key("key", enable_key_rotation=True, opts=opts)
logs = aws.s3.Bucket("logs", opts=opts)
data = aws.s3.Bucket("data", opts=opts)
aws.s3.BucketServerSideEncryptionConfiguration(
    "data-sse",
    bucket=data.id,
    rules=[
        aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
            apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                sse_algorithm="aws:kms", kms_master_key_id=key.arn
            ),
            bucket_key_enabled=True,
        )
    ],
    opts=opts,
)
aws.s3.BucketLogging(
    "data-logging", bucket=data.id, target_bucket=logs.id, target_prefix="data/", opts=opts
)
replica = aws.s3.Bucket("replica", opts=pulumi.ResourceOptions(provider=fra))
role = aws.iam.Role(
    "replication",
    assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": []}),
    opts=opts,
)
aws.s3.BucketReplicationConfig(
    "data-replication",
    bucket=data.id,
    role=role.arn,
    rules=[
        aws.s3.BucketReplicationConfigRuleArgs(
            id="all",
            status="Enabled",
            destination=aws.s3.BucketReplicationConfigRuleDestinationArgs(bucket=replica.arn),
        )
    ],
    opts=opts,
)
vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16", opts=opts)
aws.ec2.FlowLog(
    "vpc-flow-logs",
    vpc_id=vpc.id,
    traffic_type="ALL",
    log_destination_type="s3",
    log_destination=logs.arn,
    opts=opts,
)
aws.cloudtrail.Trail("trail", s3_bucket_name=logs.id, kms_key_id=key.arn, opts=opts)
az = azure_native.Provider("az", location="northeurope")
az_opts = pulumi.ResourceOptions(provider=az)
group = azure_native.resources.ResourceGroup("group", opts=az_opts)
azure_native.storage.StorageAccount(
    "geo",
    resource_group_name=group.name,
    kind="StorageV2",
    sku=azure_native.storage.SkuArgs(name="Standard_GRS"),
    tags={"residency-site": "dublin"},
    opts=az_opts,
)
"""


@pytest.fixture
def flows_project(tmp_path: Path) -> Path:
    project = tmp_path / "flows"
    project.mkdir()
    (project / "Pulumi.yaml").write_text(
        "name: flows\nruntime: python\ndescription: every flow kind\n", encoding="utf-8"
    )
    (project / "Pulumi.test.yaml").write_text(
        'config:\n  pulumi:disable-default-providers: ["*"]\n', encoding="utf-8"
    )
    (project / "__main__.py").write_text(textwrap.dedent(FLOWS_PROGRAM), encoding="utf-8")
    return project


def test_every_flow_kind_is_found_and_placed(tmp_path: Path, flows_project: Path) -> None:
    code, page, facts = _report(
        tmp_path, "--cwd", str(flows_project), "--stack", "test", "--policy-pack", str(RESIDENCY)
    )
    assert code == 0, facts["findings"]
    assert_consistent(page, facts)
    assert_self_contained(page)
    found = {(f["what"], f["source"]["label"], f["destination"]["label"]) for f in declared(facts)}
    assert found == {
        ("S3 server access logs", "data", "logs"),
        ("S3 replication rule all", "data", "replica"),
        ("VPC flow logs (s3)", "vpc", "logs"),
        ("CloudTrail log files", "trail", "logs"),
        (
            "geo-redundant storage (Standard_GRS) to the paired region",
            "geo",
            "paired region of northeurope",
        ),
    }
    regions = {f["what"]: f["destination"]["region"] for f in facts["flows"]}
    assert regions["S3 replication rule all"] == "eu-central-1"
    assert regions["geo-redundant storage (Standard_GRS) to the paired region"] == "westeurope"
    assert all(f["inAllowList"] for f in facts["flows"])
    assert facts["summary"]["flowsOutsideAllowList"] == 0
    # Three log streams stay in eu-west-1: drawn as loops, still one arrow each.
    assert len(_arrows(page)) == 5


def test_encryption_keys_follow_the_dependencies(tmp_path: Path, flows_project: Path) -> None:
    _, _, facts = _report(
        tmp_path, "--cwd", str(flows_project), "--stack", "test", "--policy-pack", str(RESIDENCY)
    )
    keys = {r["name"]: r["encryptionKey"] for r in facts["resources"]}
    # The key's ARN is unknown at preview; the dependency says which key it is.
    assert keys["data"] == "KMS key key (eu-west-1)"
    assert keys["data-sse"] == "KMS key key (eu-west-1)"
    assert keys["trail"] == "KMS key key (eu-west-1)"
    assert keys["logs"] == "no KMS key declared (S3 default SSE-S3)"
    assert keys["key"] == "is a customer-managed KMS key"
    assert keys["vpc"] == "n/a"
    assert keys["geo"].startswith("Microsoft-managed key")
    sites = {s["site"]: s for s in facts["sites"]}
    assert set(sites) == {"dublin"}
    assert sites["dublin"]["clouds"] == ["aws", "azure"]
    how = {r["name"]: (r["site"], r["siteFrom"]) for r in facts["resources"]}
    assert how["geo"] == ("dublin", "tag")
    assert how["data"] == ("dublin", "tag"), "from the provider's default tags"
    # Untagged, but on the same provider as the tagged account: the site is inferred, and marked.
    assert how["group"] == ("dublin", "provider")


# -- the map ---------------------------------------------------------------------------------------


def test_every_european_region_and_site_has_a_position_on_the_map() -> None:
    for code in [*facts.AWS_EUROPE_REGIONS, *facts.AZURE_EUROPE_LOCATIONS]:
        assert code in REGION_POSITIONS, code
    places = [*REGION_POSITIONS.values(), *(site.position for site in SITES.values())]
    west, south, east, north = atlas().extent
    # Every position lies inside the Natural Earth extent, and a view fitted to all of them
    # draws each one inside the map's frame.
    view = fit_view(places)
    for lat, lon in places:
        assert west < lon < east, (lat, lon)
        assert south < lat < north, (lat, lon)
        x, y = view.project(lat, lon)
        assert 16 < x < 16 + MAP_WIDTH, (lat, lon)
        assert 56 < y < 56 + view.height, (lat, lon)


# -- the command line ------------------------------------------------------------------------------


def test_html_goes_to_stdout_without_output(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "report",
            "--cwd",
            str(PROGRAMS / "aws-backup-copy-singapore"),
            "--stack",
            "test",
            "--policy-pack",
            str(RESIDENCY),
        ]
    )
    out, _ = capsys.readouterr()
    assert code == 1
    assert out.startswith("<!DOCTYPE html>")
    assert out.rstrip().endswith("</html>")


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--cwd", "{tmp}/nowhere", "--stack", "test"], "nowhere"),
        (["--cwd", "{program}", "--stack", "nosuchstack"], "nosuchstack"),
        (["--cwd", "{program}", "--stack", "test", "--output", "{tmp}/no/dir/r.html"], "--output"),
        (["--cwd", "{program}", "--stack", "test", "--json", "{tmp}/no/dir/r.json"], "--json"),
        (["--cwd", "{program}", "--stack", "test", "--policy-pack", "{tmp}/nopack"], "nopack"),
        (
            ["--cwd", "{program}", "--stack", "test", "--policy-pack-config", "{tmp}/c.json"],
            "--policy-pack-config",
        ),
    ],
)
def test_bad_input_exits_2_with_one_message_and_no_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], named: str
) -> None:
    program = str(PROGRAMS / "aws-backup-copy-singapore")
    page, facts = tmp_path / "out.html", tmp_path / "out.json"
    argv = [a.format(tmp=tmp_path, program=program) for a in args]
    if "--output" not in args:
        argv += ["--output", str(page)]
    if "--json" not in args:
        argv += ["--json", str(facts)]
    code = main(["report", *argv])
    err = capsys.readouterr().err
    assert code == 2
    assert named in err
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    assert not page.exists()
    assert not facts.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_output_and_json_may_not_be_the_same_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    same = tmp_path / "r.out"
    program = str(PROGRAMS / "aws-backup-copy-singapore")
    code = main(
        ["report", "--cwd", program, "--stack", "test", "--output", str(same), "--json", str(same)]
    )
    assert code == 2
    assert "--json" in capsys.readouterr().err
    assert not same.exists()


def test_unknown_flag_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["report", "--format", "pdf"])
    assert exit_info.value.code == 2
    assert "--format" in capsys.readouterr().err


# -- the repository's own stacks -------------------------------------------------------------------


@pytest.fixture(scope="module", params=["dev", "prod"])
def stack_report(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, int, str, dict[str, Any]]:
    stack = str(request.param)
    code, page, facts = _report(
        tmp_path_factory.mktemp(stack), "--cwd", str(ROOT), "--stack", stack
    )
    return stack, code, page, facts


def test_stack_report_is_consistent_and_self_contained(
    stack_report: tuple[str, int, str, dict[str, Any]],
) -> None:
    _, code, page, facts = stack_report
    assert code == (1 if facts["summary"]["mandatory"] else 0)
    assert_consistent(page, facts)
    assert_self_contained(page)
    packs = [p["pack"] for p in facts["policyPacks"]]
    assert packs == ["eu_residency", "eu_data_protection", "eu_access"]


def test_stack_keeps_every_resource_and_flow_inside_the_allow_list(
    stack_report: tuple[str, int, str, dict[str, Any]],
) -> None:
    _, _, page, facts = stack_report
    assert facts["summary"]["resourcesOutsideAllowList"] == 0
    assert facts["summary"]["flowsOutsideAllowList"] == 0
    assert all(f["inAllowList"] for f in facts["flows"])
    assert WARN_COLOUR not in "".join(re.findall(r'<path class="flow"[^>]*>', page))
    residency = [f for f in facts["findings"] if f["policyPack"] == "eu-residency"]
    assert residency == []


def test_stack_attributes_every_resource_to_a_site(
    stack_report: tuple[str, int, str, dict[str, Any]],
) -> None:
    stack, _, _, facts = stack_report
    cloud = [r for r in facts["resources"] if r["kind"] == "resource"]
    assert all(r["site"] in SITES for r in cloud), [r["name"] for r in cloud if not r["site"]]
    sites = {s["site"]: s for s in facts["sites"]}
    assert set(sites) == {"dublin", "hamar"}
    assert sites["dublin"]["clouds"] == ["aws", "azure"]
    assert sites["dublin"]["countries"] == ["IE"]
    if stack == "dev":
        assert sites["hamar"]["clouds"] == ["azure"]
        assert sites["hamar"]["countries"] == ["NO"]
    else:
        # Hamar's AWS data sits in Stockholm by explicit opt-in, and the report says so.
        assert sites["hamar"]["clouds"] == ["aws", "azure"]
        assert sites["hamar"]["countries"] == ["NO", "SE"]
        stockholm = [r for r in cloud if r["region"] == "eu-north-1"]
        assert stockholm
        assert all(r["outsideSiteCountry"] for r in stockholm)


def test_stack_declares_its_replicas_and_log_deliveries(
    stack_report: tuple[str, int, str, dict[str, Any]],
) -> None:
    stack, _, _, facts = stack_report
    routes = {
        (f["kind"], f["source"]["region"], f["destination"]["region"]) for f in facts["flows"]
    }
    # clover:backups: Azure dublin -> hamar in both stacks, AWS dublin -> hamar in prod.
    assert ("replication", "northeurope", "norwayeast") in routes
    if stack == "prod":
        assert ("replication", "eu-west-1", "eu-north-1") in routes
    replication = next(f for f in facts["flows"] if "object replication" in f["what"])
    assert len(replication["declaredBy"]) == 2, "one flow for the source and destination policies"
    what = {f["what"] for f in facts["flows"]}
    assert {"S3 server access logs", "CloudTrail log files", "VPC flow logs (s3)"} <= what
    assert "diagnostic logs to Log Analytics workspace" in what


def test_stack_names_the_key_of_every_data_store(
    stack_report: tuple[str, int, str, dict[str, Any]],
) -> None:
    _, _, _, facts = stack_report
    cloud = [r for r in facts["resources"] if r["kind"] == "resource"]
    assert not [r["name"] for r in cloud if r["encryptionKey"] == "not assessed"]
    stores = [
        r
        for r in cloud
        if r["type"] in {"aws:s3/bucket:Bucket", "azure-native:storage:StorageAccount"}
    ]
    assert stores
    for store in stores:
        assert store["encryptionKey"] != UNKNOWN_AT_PREVIEW, store["name"]
    data = [r for r in stores if r["name"].endswith("-storage-data")]
    assert data
    for bucket in data:
        # The key's ARN is unknown at preview; the dependency names the stack's own key.
        assert bucket["encryptionKey"].startswith("KMS key "), bucket
    accounts = [r for r in stores if r["type"].endswith("StorageAccount")]
    for account in accounts:
        assert account["encryptionKey"].startswith("Key Vault key "), account


def test_a_program_that_ended_early_is_never_certified(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: early\nruntime: python\n")
    (tmp_path / "Pulumi.test.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    (tmp_path / "__main__.py").write_text(
        textwrap.dedent(
            """
            import sys
            import pulumi_aws as aws
            b = aws.s3.Bucket("b", bucket="early-data", region="eu-west-1")
            b.bucket.apply(lambda _: sys.exit(0))
            """
        )
    )
    code, page, facts = _report(
        tmp_path, "--cwd", str(tmp_path), "--stack", "test", "--policy-pack", str(RESIDENCY)
    )
    assert code == 2
    assert facts["complete"] is False
    assert facts["incomplete"] == "it called sys.exit(0)"
    assert facts["summary"]["verdict"] == "incomplete"
    assert 'data-verdict="incomplete"' in page
    assert "PASSED" not in page
    assert "The program ended before it finished: it called sys.exit(0)" in page


# -- Google Cloud and classic Azure ------------------------------------------------------------

CLEAN = ROOT / "tests" / "data" / "clean_programs"


def _node(page: str, cloud: str, region: str) -> str:
    match = re.search(
        rf'<g class="region[^"]*" data-region="{re.escape(region)}" data-cloud="{cloud}"'
        r"[^>]*>.*?</g>",
        page,
        re.S,
    )
    assert match, f"no {cloud} node for {region}"
    return match.group(0)


def test_gcp_places_are_in_the_inventory_and_on_the_map(tmp_path: Path) -> None:
    code, page, facts = _report(
        tmp_path, "--cwd", str(CLEAN / "gcp-bucket-eu"), "--stack", "test", "--policy-pack",
        str(RESIDENCY),
    )  # fmt: skip
    assert code == 0, facts["findings"]
    assert_consistent(page, facts)
    # The pack's default allowedGcpLocations: the EEA regions, EU, EUR4 and eur3.
    assert {"EU", "EUR4", "europe-west1", "europe-north1"} <= set(facts["allowList"]["gcp"])
    assert "europe-west2" not in facts["allowList"]["gcp"]  # London
    by_name = {r["name"]: r for r in facts["resources"]}
    analytics = by_name["analytics"]
    assert (analytics["cloud"], analytics["region"], analytics["country"]) == (
        "gcp",
        "europe-west1",
        "BE",
    )
    assert analytics["inAllowList"] is True
    assert (by_name["eu-exports"]["region"], by_name["eu-exports"]["inAllowList"]) == ("EU", True)
    row = re.search(rf'<tr[^>]*data-urn="{re.escape(analytics["urn"])}".*?</tr>', page, re.S)
    assert row
    assert "<code>europe-west1</code>" in row.group(0)
    assert '<span class="badge gcp">gcp</span>' in row.group(0)
    # Belgium is on the map in Google Cloud's colour; the EU multi-region has no one city.
    belgium = _node(page, "gcp", "europe-west1")
    assert 'data-allowed="true"' in belgium
    assert f'fill="{GCP_COLOUR}"' in belgium
    view = re.search(r'<svg [^>]*data-view="([^"]+)"', page)
    assert view
    x, y = MapView.parse(view.group(1)).project(*REGION_POSITIONS["europe-west1"])
    assert f"L{x + 8.5:.1f},{y:.1f}" in belgium
    eu = _node(page, "gcp", "EU")
    assert 'class="region off-map"' in eu
    assert "EU multi-region" in eu
    assert 'data-allowed="true"' in eu
    assert "Google Cloud: <code>EU</code>" in page  # the allow-list in the footer


def test_a_us_bucket_is_outside_the_gcp_allow_list(tmp_path: Path) -> None:
    code, page, facts = _misplaced(tmp_path, "gcp-bucket-us")
    assert code == 1
    bucket = next(r for r in facts["resources"] if r["name"] == "us-exports")
    assert (bucket["cloud"], bucket["region"], bucket["country"]) == (
        "gcp",
        "US",
        "US multi-region",
    )
    assert bucket["inAllowList"] is False
    assert "US" not in facts["allowList"]["gcp"]
    assert facts["summary"]["resourcesOutsideAllowList"] == 1
    us = _node(page, "gcp", "US")
    assert 'data-allowed="false"' in us
    assert WARN_COLOUR in us
    assert "outside allow-list" in us


def test_a_gcp_zone_is_drawn_at_its_region_and_the_allow_list_follows_the_config(
    tmp_path: Path,
) -> None:
    (tmp_path / "p").mkdir()
    project_dir = tmp_path / "p"
    (project_dir / "Pulumi.yaml").write_text("name: zones\nruntime: python\n")
    (project_dir / "Pulumi.test.yaml").write_text(
        "config:\n  gcp:project: clover-test\n  gcp:region: europe-west1\n"
    )
    (project_dir / "__main__.py").write_text(
        textwrap.dedent(
            """
            import pulumi_gcp as gcp
            gcp.compute.Disk("scratch", zone="europe-west4-a", size=10)
            gcp.compute.Subnetwork("net", ip_cidr_range="10.0.0.0/24", network="default")
            """
        )
    )
    config = tmp_path / "residency.json"
    config.write_text(
        json.dumps({"gcp-resource-location-allowed": {"allowedGcpLocations": ["EUROPE-WEST4"]}})
    )
    code, page, facts = _report(
        tmp_path, "--cwd", str(project_dir), "--stack", "test", "--policy-pack", str(RESIDENCY),
        "--policy-pack-config", str(config),
    )  # fmt: skip
    assert facts["allowList"]["gcp"] == ["europe-west4"]
    by_name = {r["name"]: r for r in facts["resources"]}
    # A zone is in its region's country and allowed with its region, as the pack judges it.
    scratch = by_name["scratch"]
    assert (scratch["region"], scratch["country"], scratch["inAllowList"]) == (
        "europe-west4-a",
        "NL",
        True,
    )
    zone = _node(page, "gcp", "europe-west4-a")
    assert 'class="region off-map"' not in zone
    assert 'data-allowed="true"' in zone
    # The subnetwork takes gcp:region, which the narrowed list leaves out: blocked, and drawn so.
    net = by_name["net"]
    assert (net["region"], net["inAllowList"]) == ("europe-west1", False)
    assert 'data-allowed="false"' in _node(page, "gcp", "europe-west1")
    assert code == 1
    assert any(f["urn"] == net["urn"] for f in facts["findings"])


def test_classic_azure_is_at_westeurope_in_the_netherlands(tmp_path: Path) -> None:
    code, page, facts = _report(
        tmp_path, "--cwd", str(CLEAN / "azure-classic-clean"), "--stack", "test",
        "--policy-pack", str(RESIDENCY),
    )  # fmt: skip
    assert code == 0, facts["findings"]
    by_name = {r["name"]: r for r in facts["resources"]}
    for name in ("data", "records"):  # the account takes its resource group's location
        assert (by_name[name]["cloud"], by_name[name]["region"]) == ("azure", "westeurope")
        assert (by_name[name]["country"], by_name[name]["inAllowList"]) == ("NL", True)
    assert 'data-allowed="true"' in _node(page, "azure", "westeurope")


def test_a_flow_only_the_data_flow_rule_knows_is_drawn_as_it_decided(tmp_path: Path) -> None:
    # No handler of the report knows EventBridge targets: the flow comes from the rule itself.
    _, page, facts = _misplaced(tmp_path, "flow-eventbridge-us-east-1")
    assert_consistent(page, facts)
    (flow,) = facts["flows"]
    assert flow["kind"] == "reference"
    assert flow["what"] == "arn"
    assert flow["source"]["label"] == "forward-orders"
    assert flow["destination"]["region"] == "us-east-1"
    assert flow["inAllowList"] is False
    assert flow["proven"] == "as written"
    (arrow,) = _arrows(page)
    assert arrow["stroke"] == WARN_COLOUR
    blocked = {
        f["urn"] for f in facts["findings"] if f["policy"] == "data-flow-destination-allowed"
    }
    assert flow["declaredBy"] == sorted(blocked)


# -- sites: described by the project, not known to the report ------------------------------------

_SITE_PROGRAM = """\
import pulumi
import pulumi_aws as aws

tagged = aws.Provider("p", region="eu-west-1", default_tags={"tags": {"residency-site": "lisbon"}})
aws.s3.Bucket("data", opts=pulumi.ResourceOptions(provider=tagged))
"""


def _site_project(tmp_path: Path, export: str) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: sited\nruntime: python\n", encoding="utf-8")
    (project / "Pulumi.test.yaml").write_text("config: {}\n", encoding="utf-8")
    (project / "__main__.py").write_text(_SITE_PROGRAM + export, encoding="utf-8")
    return project


def test_a_site_the_project_does_not_describe_has_no_country_and_no_ring(tmp_path: Path) -> None:
    project = _site_project(tmp_path, "")
    _, page, facts = _report(tmp_path, "--cwd", str(project), "--stack", "test")
    (site,) = facts["sites"]
    assert site["site"] == "lisbon"
    assert site["country"] is None
    assert '<g class="site"' not in page  # no ring drawn for a site without a position
    assert "Dublin site" not in page  # no site of Clover's own
    assert "Hamar site" not in page


def test_the_placements_export_gives_a_site_its_country_and_ring(tmp_path: Path) -> None:
    export = (
        'pulumi.export("placements", [{"site": "lisbon", "site_country": "PT",'
        ' "site_position": [38.72, -9.14]}, {"site": "x", "site_position": ["a", 1]}, 7])\n'
    )
    project = _site_project(tmp_path, export)
    _, page, facts = _report(tmp_path, "--cwd", str(project), "--stack", "test")
    (site,) = facts["sites"]
    assert site["country"] == "PT"
    assert "Lisbon site (PT, Portugal)" in page
    assert page.count('<g class="site"') == 1  # the malformed entries describe nothing
