"""A dependency is no proof: through ``python -m clover check``, unknown destinations are judged by
what they are (an exact output, or what they compute to), not by what they depend on."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from pulumi.runtime.proto.analyzer_pb2 import AnalyzeRequest

from clover import check as check_module
from clover.__main__ import main

ROOT = Path(__file__).resolve().parents[1]
RESIDENCY = ROOT / "policy_packs" / "eu_residency"
RULE = "data-flow-destination-allowed"

AWS_HEAD = """
import pulumi
import pulumi_aws as aws

queue = aws.sqs.Queue("orders")
topic = "arn:aws:sns:eu-west-1:123456789012:events"
"""


def _project(tmp_path: Path, body: str, config: dict[str, str] | None = None) -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: flows\nruntime: python\n", encoding="utf-8")
    settings = {"aws:region": "eu-west-1", "azure-native:location": "westeurope", **(config or {})}
    lines = "".join(f"  {k}: {v}\n" for k, v in settings.items())
    (tmp_path / "Pulumi.test.yaml").write_text(f"config:\n{lines}", encoding="utf-8")
    (tmp_path / "__main__.py").write_text(textwrap.dedent(body), encoding="utf-8")
    return tmp_path


def _flows(capsys: pytest.CaptureFixture[str], project: Path) -> tuple[int, list[dict[str, Any]]]:
    code = main(
        ["check", "-C", str(project), "-s", "test", "--policy-pack", str(RESIDENCY), "--json"]
    )
    out, err = capsys.readouterr()
    assert code in (0, 1), err
    report = json.loads(out)
    return code, [d for d in report["diagnostics"] if d["policy"] == RULE]


def test_an_exact_output_of_an_allowed_resource_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program = AWS_HEAD + (
        'aws.sns.TopicSubscription("feed", topic=topic, protocol="sqs", endpoint=queue.arn)\n'
    )
    assert _flows(capsys, _project(tmp_path, program)) == (0, [])


def test_an_override_computed_from_an_allowed_resource_is_judged_itself(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Depends on the Dublin queue exactly as `queue.arn` does; computes to a queue in Virginia.
    program = AWS_HEAD + textwrap.dedent("""
        override = "arn:aws:sqs:us-east-1:123456789012:elsewhere"
        aws.sns.TopicSubscription(
            "feed", topic=topic, protocol="sqs", endpoint=queue.arn.apply(lambda a: override or a)
        )
    """)
    code, found = _flows(capsys, _project(tmp_path, program))
    assert code == 1
    assert any(
        d["urn"].endswith("::feed")
        and "endpoint = a value not known until apply, computed as "
        "'arn:aws:sqs:us-east-1:123456789012:elsewhere'"
        in d["message"]
        and "us-east-1" in d["message"]
        for d in found
    ), found


def test_a_value_computed_from_an_allowed_resource_passes_on_what_it_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program = AWS_HEAD + textwrap.dedent("""
        override = None
        aws.sns.TopicSubscription(
            "feed", topic=topic, protocol="sqs", endpoint=queue.arn.apply(lambda a: override or a)
        )
        logs = aws.s3.Bucket("logs")
        aws.cloudtrail.Trail("audit", s3_bucket_name=logs.id.apply(lambda name: name))
    """)
    assert _flows(capsys, _project(tmp_path, program)) == (0, [])


def test_a_bucket_name_computed_from_a_bucket_in_virginia_blocks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # An autonamed bucket: its name is computed, a bucket name carries no region, so the check
    # must know which bucket of the stack the computed name is.
    program = AWS_HEAD + textwrap.dedent("""
        us = aws.Provider("us", region="us-east-1")
        logs = aws.s3.Bucket("logs", opts=pulumi.ResourceOptions(provider=us))
        aws.cloudtrail.Trail("audit", s3_bucket_name=logs.id.apply(lambda name: name))
    """)
    code, found = _flows(capsys, _project(tmp_path, program))
    assert code == 1
    assert any(
        d["urn"].endswith("::audit")
        and "s3BucketName" in d["message"]
        and "us-east-1" in d["message"]
        for d in found
    ), found


def test_a_name_derived_from_an_in_stack_name_names_no_resource_of_the_stack(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program = textwrap.dedent("""
        import pulumi
        import pulumi_azure_native as azure_native

        group = azure_native.resources.ResourceGroup("records", location="westeurope")
        account = azure_native.storage.StorageAccount(
            "store", resource_group_name=group.name, kind="StorageV2", sku={"name": "Standard_ZRS"}
        )
        # The blob service of the in-stack account: computed, and still that account.
        azure_native.monitor.DiagnosticSetting(
            "blob-audit",
            resource_uri=pulumi.Output.concat(account.id, "/blobServices/default"),
            storage_account_id=account.id,
            logs=[{"category": "StorageRead", "enabled": True}],
        )
        # Another account's id, computed from the in-stack one's: it names no account here.
        azure_native.monitor.DiagnosticSetting(
            "elsewhere",
            resource_uri=account.id,
            storage_account_id=pulumi.Output.concat(account.id, "-shared"),
            logs=[{"category": "StorageRead", "enabled": True}],
        )
    """)
    code, found = _flows(capsys, _project(tmp_path, program))
    assert code == 1
    assert not [d for d in found if d["urn"].endswith("::blob-audit")], found
    assert any(
        d["urn"].endswith("::elsewhere") and "storageAccountId" in d["message"] for d in found
    ), found


def test_when_the_second_run_fails_computed_destinations_stay_unproven(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The apply never runs at preview; with every output known it raises.
    program = AWS_HEAD + textwrap.dedent("""
        def pick(arn: str) -> str:
            raise RuntimeError("no")

        endpoint = queue.arn.apply(pick)
        aws.sns.TopicSubscription("feed", topic=topic, protocol="sqs", endpoint=endpoint)
    """)
    code, found = _flows(capsys, _project(tmp_path, program))
    assert code == 1
    assert any(
        d["urn"].endswith("::feed") and "not exactly an output of a resource" in d["message"]
        for d in found
    ), found


@pytest.mark.parametrize(("group_name", "blocked"), [("group.name", False), ("shared", True)])
def test_a_group_name_derived_from_an_in_stack_group_is_not_that_group(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], group_name: str, blocked: bool
) -> None:
    program = textwrap.dedent(f"""
        import pulumi
        import pulumi_azure_native as azure_native

        group = azure_native.resources.ResourceGroup("records", location="westeurope")
        shared = pulumi.Output.concat(group.name, "-shared")
        azure_native.storage.StorageAccount(
            "store",
            resource_group_name={group_name},
            kind="StorageV2",
            sku={{"name": "Standard_ZRS"}},
        )
    """)
    # No provider location: the account is placed by its resource group alone.
    project = _project(tmp_path, program, {"azure-native:location": '""'})
    code = main(
        ["check", "-C", str(project), "-s", "test", "--policy-pack", str(RESIDENCY), "--json"]
    )
    out, err = capsys.readouterr()
    found = [
        d
        for d in json.loads(out)["diagnostics"]
        if d["urn"].endswith("::store") and d["enforcementLevel"] == "mandatory"
    ]
    assert bool(found) == blocked, (found, err)
    if blocked:
        assert code == 1
        # The provider cannot look the group up by a name not known until apply.
        assert any("location is not known until apply" in d["message"] for d in found), found


def test_the_written_pack_configs_give_a_preview_the_checks_evidence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program = AWS_HEAD + textwrap.dedent("""
        aws.sns.TopicSubscription("exact", topic=topic, protocol="sqs", endpoint=queue.arn)
        aws.sns.TopicSubscription(
            "computed", topic=topic, protocol="sqs", endpoint=queue.arn.apply(lambda a: a)
        )
    """)
    directory = tmp_path / "program"
    directory.mkdir()
    project = _project(directory, program)
    out = tmp_path / "configs"
    out.mkdir()
    args = ["check", "-C", str(project), "-s", "test", "--policy-pack", str(RESIDENCY)]
    assert main([*args, "--write-pack-configs", str(out)]) == 0
    capsys.readouterr()
    written = json.loads((out / "eu_residency.test.json").read_text(encoding="utf-8"))
    flow = written[RULE]
    exact = "urn:pulumi:test::flows::aws:sns/topicSubscription:TopicSubscription::exact"
    computed = "urn:pulumi:test::flows::aws:sns/topicSubscription:TopicSubscription::computed"
    queue = "urn:pulumi:test::flows::aws:sqs/queue:Queue::orders"
    assert flow["provenOutputs"][exact] == {"endpoint": f"{queue}#arn"}
    endpoint = flow["computedValues"]["inputs"][computed]["endpoint"]
    assert endpoint.startswith("arn:aws:sqs:eu-west-1:")
    # The document is a valid --policy-pack-config: the same verdict from it.
    config = ["--policy-pack-config", str(out / "eu_residency.test.json")]
    assert main([*args, *config]) == 0


def test_a_missing_pack_configs_directory_is_refused_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _project(tmp_path, AWS_HEAD)
    missing = tmp_path / "nowhere"
    code = main(["check", "-C", str(project), "-s", "test", "--write-pack-configs", str(missing)])
    _, err = capsys.readouterr()
    assert code == 2
    assert f"--write-pack-configs {missing}: no such directory" in err
    assert "Traceback" not in err
    assert not missing.exists()


ACCESS = ROOT / "policy_packs" / "eu_access"


@pytest.mark.parametrize(("reader", "blocked"), [("role.arn", False), ("foreign", True)])
def test_a_policy_document_computed_from_outputs_is_judged_as_it_will_be(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], reader: str, blocked: bool
) -> None:
    # Unknown at preview (it holds the bucket's and the role's ARNs); the check computes it.
    program = textwrap.dedent(f"""
        import json
        import pulumi
        import pulumi_aws as aws

        bucket = aws.s3.Bucket("data")
        role = aws.iam.Role("reader", assume_role_policy=json.dumps({{
            "Version": "2012-10-17",
            "Statement": [{{"Effect": "Allow", "Action": "sts:AssumeRole",
                           "Principal": {{"Service": "lambda.amazonaws.com"}},
                           "Condition": {{"StringEquals": {{
                               "aws:SourceAccount": "123456789012"}}}}}}],
        }}))
        foreign = "arn:aws:iam::999999999999:role/elsewhere"
        aws.s3.BucketPolicy(
            "data",
            bucket=bucket.id,
            policy=pulumi.Output.all(bucket.arn, {reader}).apply(lambda a: json.dumps({{
                "Version": "2012-10-17",
                "Statement": [{{"Effect": "Allow", "Action": "s3:GetObject",
                               "Principal": {{"AWS": a[1]}}, "Resource": a[0] + "/*"}}],
            }})),
        )
        # Object events of every bucket in the region are recorded (eu-access logging rule).
        aws.cloudtrail.Trail("audit", s3_bucket_name=aws.s3.Bucket("audit").id, event_selectors=[
            aws.cloudtrail.TrailEventSelectorArgs(data_resources=[
                aws.cloudtrail.TrailEventSelectorDataResourceArgs(
                    type="AWS::S3::Object", values=["arn:aws:s3"])])])
    """)
    project = _project(tmp_path, program, {"aws:allowedAccountIds": '["123456789012"]'})
    code = main(["check", "-C", str(project), "-s", "test", "--policy-pack", str(ACCESS), "--json"])
    out, err = capsys.readouterr()
    found = [
        d
        for d in json.loads(out)["diagnostics"]
        if d["policy"] == "aws-s3-bucket-policy-no-foreign-principals"
    ]
    if blocked:
        assert code == 1, err
        assert any("999999999999" in d["message"] for d in found), found
    else:
        assert found == [], found
        assert code == 0, err


API_HEAD = """
import pulumi
import pulumi_aws as aws

api = aws.apigatewayv2.Api("api", protocol_type="HTTP")
stage = aws.apigatewayv2.Stage("stage", api_id=api.id, name="live", auto_deploy=True)
integration = aws.apigatewayv2.Integration(
    "integration", api_id=api.id, integration_type="HTTP_PROXY", integration_method="GET",
    integration_uri="https://sqs.eu-west-1.amazonaws.com/123456789012/q",
)
aws.apigatewayv2.Route(
    "route", api_id=api.id, route_key="GET /x",
    target=integration.id.apply(lambda id: f"integrations/{id}"),
)
# A computed output the evidence run must give a value, or the program stops there.
pulumi.export("url", pulumi.Output.concat(api.api_endpoint, "/", stage.name))
"""


def test_a_program_building_on_computed_string_outputs_gets_its_evidence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _flows(capsys, _project(tmp_path, API_HEAD)) == (0, [])


FAR = """
virginia = aws.Provider("virginia", region="us-east-1")
far = aws.apigatewayv2.Api(
    "far", protocol_type="HTTP", opts=pulumi.ResourceOptions(provider=virginia)
)
"""


@pytest.mark.parametrize(("api", "blocked"), [("api", False), ("far", True)])
def test_a_destination_built_from_a_computed_output_is_placed_at_its_resource(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], api: str, blocked: bool
) -> None:
    # The endpoint is computed, not an exact output: its stand-in names the API it belongs to,
    # in Dublin or in Virginia.
    program = (
        API_HEAD
        + (FAR if blocked else "")
        + textwrap.dedent(f"""
        aws.cloudwatch.EventApiDestination(
            "hook", http_method="POST", connection_arn="arn:aws:events:eu-west-1:1:connection/c",
            invocation_endpoint={api}.api_endpoint.apply(lambda e: e + "/hook"),
        )
        """)
    )
    code, found = _flows(capsys, _project(tmp_path, program))
    hooks = [d for d in found if d["urn"].endswith("::hook")]
    if not blocked:
        assert (code, found) == (0, [])
        return
    (finding,) = hooks
    assert "invocationEndpoint = a value not known until apply, computed as" in finding["message"]
    assert "region 'us-east-1' is not allowed" in finding["message"], finding


ZONE_HEAD = """
import pulumi
import pulumi_aws as aws

vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16")
subnet = aws.ec2.Subnet("subnet", vpc_id=vpc.id, cidr_block="10.0.1.0/24")
"""


@pytest.mark.parametrize(
    ("zone", "blocked"),
    [
        ("subnet.availability_zone", False),  # AWS picks one of the subnet's region's zones
        ('subnet.availability_zone.apply(lambda z: "us-east-1a")', True),
        ('subnet.id.apply(lambda i: "eu-west-1a")', False),
    ],
)
def test_a_zone_that_is_exactly_an_in_stack_resource_s_zone_is_that_resource_s(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], zone: str, blocked: bool
) -> None:
    program = ZONE_HEAD + textwrap.dedent(f"""
        aws.glue.Connection(
            "connection",
            connection_properties={{"JDBC_CONNECTION_URL": "jdbc:redshift://x:5439/db"}},
            physical_connection_requirements={{
                "availability_zone": {zone},
                "subnet_id": subnet.id,
            }},
        )
    """)
    code = main(
        [
            "check",
            "-C",
            str(_project(tmp_path, program)),
            "-s",
            "test",
            "--policy-pack",
            str(RESIDENCY),
            "--json",
        ]
    )
    out, err = capsys.readouterr()
    assert code == int(blocked), err
    zones = [
        d
        for d in json.loads(out)["diagnostics"]
        if d["policy"] == "aws-resource-region-allowed" and d["urn"].endswith("::connection")
    ]
    assert bool(zones) is blocked, zones
    if blocked:
        assert "'us-east-1a' is in region 'us-east-1'" in zones[0]["message"], zones


def test_a_static_website_origin_computed_from_the_account_s_endpoints_is_that_account(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program = """
    import pulumi
    from pulumi_azure_native import resources, storage

    group = resources.ResourceGroup("rg", resource_group_name="rg-web")
    account = storage.StorageAccount(
        "site", resource_group_name=group.name, kind="StorageV2",
        sku=storage.SkuArgs(name="Standard_ZRS"),
    )
    host = account.primary_endpoints.apply(
        lambda e: e.web.replace("https://", "").replace("/", "")
    )
    storage.BlobContainer(
        "notes", account_name=account.name, resource_group_name=group.name,
        metadata={"origin": host},
    )
    pulumi.export("url", account.primary_endpoints.web)
    """
    code, found = _flows(capsys, _project(tmp_path, program))
    assert (code, found) == (0, [])


def test_what_only_an_update_registers_is_analyzed_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A preview never sees the bucket; `pulumi up` creates it, after its analyzers saw it.
    program = """
    import pulumi
    import pulumi_aws as aws

    aws.s3.Bucket("always", bucket="always-here")
    if not pulumi.runtime.is_dry_run():
        aws.s3.Bucket("late", bucket="late-mirror", region="us-east-1")
    """
    project = _project(tmp_path, program)
    code = main(
        ["check", "-C", str(project), "-s", "test", "--policy-pack", str(RESIDENCY), "--json"]
    )
    out, err = capsys.readouterr()
    assert code == 1, err
    report = json.loads(out)
    assert any(r["urn"].endswith("::late") for r in report["resources"])
    (late,) = [
        d
        for d in report["diagnostics"]
        if d["policy"] == "aws-resource-region-allowed" and d["urn"].endswith("::late")
    ]
    assert "region 'us-east-1' is not allowed" in late["message"]


@pytest.mark.parametrize(("up_region", "blocked"), [("us-east-1", True), ("eu-west-1", False)])
def test_what_an_update_registers_differently_is_analyzed_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], up_region: str, blocked: bool
) -> None:
    # The preview sees Ireland; `pulumi up` would create the bucket through a provider in
    # another region. The update's registration is analyzed under its own name.
    program = f"""
    import pulumi
    import pulumi_aws as aws

    region = "eu-west-1" if pulumi.runtime.is_dry_run() else "{up_region}"
    archive = aws.Provider("archive", region=region)
    aws.s3.Bucket("letters", bucket="letters", opts=pulumi.ResourceOptions(provider=archive))
    aws.s3.Bucket("same", bucket="same")
    """
    project = _project(tmp_path, program)
    code = main(
        ["check", "-C", str(project), "-s", "test", "--policy-pack", str(RESIDENCY), "--json"]
    )
    out, err = capsys.readouterr()
    report = json.loads(out)
    names = {r["urn"].rsplit("::", 1)[1] for r in report["resources"]}
    found = [d for d in report["diagnostics"] if d["policy"] == "aws-resource-region-allowed"]
    if blocked:
        assert code == 1, err
        assert {"letters (pulumi up)", "archive (pulumi up)"} <= names
        (finding,) = found
        assert finding["urn"].endswith("::letters (pulumi up)")
        assert f"region '{up_region}' is not allowed" in finding["message"]
    else:
        assert (code, found) == (0, [])
    # What the update registers as the preview did is analyzed once.
    assert "same (pulumi up)" not in names


def test_a_resource_with_resource_hooks_is_blocked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A hook is the program's code, run at deployment with its credentials: no analyzer sees it.
    program = """
    import pulumi
    import pulumi_aws as aws

    def replicate(args):
        import boto3
        boto3.client("s3").put_bucket_replication(Bucket="payroll", ReplicationConfiguration={})

    hook = pulumi.ResourceHook("replicate", replicate)
    aws.s3.Bucket(
        "payroll",
        bucket="payroll",
        opts=pulumi.ResourceOptions(hooks=pulumi.ResourceHookBinding(after_create=[hook])),
    )
    aws.s3.Bucket("plain", bucket="plain")
    """
    project = _project(tmp_path, program)
    code = main(
        ["check", "-C", str(project), "-s", "test", "--policy-pack", str(RESIDENCY), "--json"]
    )
    out, err = capsys.readouterr()
    assert code == 1, err
    (finding,) = json.loads(out)["diagnostics"]
    assert finding["urn"].endswith("::payroll")
    assert "runs resource hooks at deployment (after_create:replicate)" in finding["message"]


class _CountingPack:
    """Answers Analyze requests later, counting how many are outstanding at once."""

    def __init__(self) -> None:
        self.outstanding = 0
        self.most = 0
        self.sent: list[str] = []

    def send_analyze(self, request: Any) -> Any:
        self.outstanding += 1
        self.most = max(self.most, self.outstanding)
        self.sent.append(request)

        def answer() -> list[Any]:
            self.outstanding -= 1
            return []

        return answer


def test_analysis_again_keeps_a_bounded_window(monkeypatch: pytest.MonkeyPatch) -> None:
    # A 10,000-resource program's re-analysis, sent all at once, was cancelled by the pack's
    # server; at most IN_FLIGHT requests are outstanding now.
    monkeypatch.setattr(check_module, "IN_FLIGHT", 8)
    streamer = object.__new__(check_module.Streamer)
    streamer.requests = {f"urn:{i}": AnalyzeRequest(urn=f"urn:{i}") for i in range(100)}
    pack = _CountingPack()
    check_module.Streamer._analyze_again(streamer, pack, sorted(streamer.requests))  # type: ignore[arg-type]
    assert len(pack.sent) == 100
    assert pack.most == 9  # the window, and the one just sent before the oldest is collected
    assert pack.outstanding == 0


@pytest.mark.parametrize(
    ("path", "zone"),
    [
        ("physicalConnectionRequirements.availabilityZone", True),
        ("availabilityZones[1]", True),
        ("zone", True),
        ("availabilityZoneId", True),
        ("timeZone", False),
        ("hostedZoneId", False),
        ("endpoint", False),
    ],
)
def test_which_proven_paths_are_zones(path: str, zone: bool) -> None:
    assert check_module._names_a_zone(path) is zone


def test_a_computed_destination_after_many_resources_still_gets_its_evidence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The evidence run starts with the preview and is stopped when a large program has not
    # needed it by SPECULATE_UP_TO resources; a later need starts it again.
    monkeypatch.setattr(check_module, "SPECULATE_UP_TO", 2)
    program = AWS_HEAD + textwrap.dedent("""
        for i in range(4):
            aws.sqs.Queue(f"plain-{i}")
        override = "arn:aws:sqs:us-east-1:123456789012:elsewhere"
        aws.sns.TopicSubscription(
            "feed", topic=topic, protocol="sqs", endpoint=queue.arn.apply(lambda a: override or a)
        )
    """)
    code, found = _flows(capsys, _project(tmp_path, program))
    assert code == 1
    assert any(
        d["urn"].endswith("::feed") and "computed as 'arn:aws:sqs:us-east-1:" in d["message"]
        for d in found
    ), found


def test_a_computed_number_gets_a_value_so_the_destination_beside_it_is_judged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # `str(int(db.port))` stopped the second run on None: the log driver's region, computed in
    # the same apply, went unjudged.
    program = AWS_HEAD + textwrap.dedent("""
        import json
        db = aws.rds.Instance("db", engine="mysql", instance_class="db.t3.micro",
            allocated_storage=20, username="u", password="p", skip_final_snapshot=True)
        aws.ecs.TaskDefinition("td", family="f", container_definitions=db.port.apply(
            lambda port: json.dumps([{"name": "c", "image": "nginx",
                "environment": [{"name": "PORT", "value": str(int(port))}],
                "logConfiguration": {"logDriver": "awslogs",
                    "options": {"awslogs-region": "us-west-2"}}}])))
    """)
    code, found = _flows(capsys, _project(tmp_path, program))
    assert code == 1
    assert any(
        d["urn"].endswith("::td") and "us-west-2" in d["message"] and "computed as" in d["message"]
        for d in found
    ), found


def test_when_the_second_run_fails_any_computed_text_is_unproven(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program = AWS_HEAD + textwrap.dedent("""
        import json
        repo = aws.ecr.Repository("r")
        def definitions(url):
            if not url.startswith("123456789012.dkr.ecr."):
                raise ValueError("unexpected registry")
            return json.dumps([{"name": "c", "image": url}])
        aws.ecs.TaskDefinition("td", family="f",
            container_definitions=repo.repository_url.apply(definitions))
    """)
    code, found = _flows(capsys, _project(tmp_path, program))
    assert code == 1
    assert any(
        d["urn"].endswith("::td")
        and "containerDefinitions" in d["message"]
        and "second run" in d["message"]
        and "ValueError: unexpected registry (while processing resource 'td', input" in d["message"]
        for d in found
    ), found


def test_another_stack_s_output_inside_a_computed_document_is_unproven(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The update run gave a StackReference's outputs as None, so the redrive policy computed to
    # a document with no destination and passed.
    program = AWS_HEAD + textwrap.dedent("""
        shared = pulumi.StackReference("acme/shared/prod")
        aws.sqs.Queue("jobs", redrive_policy=pulumi.Output.json_dumps(
            {"deadLetterTargetArn": shared.get_output("centralDlqArn"), "maxReceiveCount": 5}))
    """)
    code, found = _flows(capsys, _project(tmp_path, program))
    assert code == 1
    assert any(
        d["urn"].endswith("::jobs")
        and "redrivePolicy.deadLetterTargetArn" in d["message"]
        and "an output of another stack, read through a stack reference" in d["message"]
        for d in found
    ), found


def test_a_list_output_has_an_item_in_the_second_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # `ips[0]` of a list output stopped the second run on None; the endpoint computed beside it
    # went unjudged.
    program = AWS_HEAD + textwrap.dedent("""
        nlb = aws.ec2.NetworkInterface("eni", subnet_id="subnet-0123")
        aws.lambda_.Function("fn", role="arn:aws:iam::123456789012:role/r", runtime="python3.12",
            handler="h.main", code=pulumi.FileArchive("."),
            environment={"variables": nlb.private_ips.apply(lambda ips: {
                "PEER": ips[0], "SINK": "https://sqs.us-east-1.amazonaws.com/123456789012/q"})})
    """)
    code, found = _flows(capsys, _project(tmp_path, program))
    assert code == 1
    assert any(
        d["urn"].endswith("::fn") and "us-east-1" in d["message"] and "computed as" in d["message"]
        for d in found
    ), found


def test_a_list_of_objects_output_has_an_item_in_the_second_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # `statuses[0].url` stopped the second run on None, leaving every computed value unproven.
    program = AWS_HEAD + textwrap.dedent("""
        lb = aws.lb.LoadBalancer("lb", subnets=["subnet-1"])
        aws.lambda_.Function("fn", role="arn:aws:iam::123456789012:role/r", runtime="python3.12",
            handler="h.main", code=pulumi.FileArchive("."),
            environment={"variables": {"FIRST": lb.subnet_mappings.apply(
                lambda mappings: f"subnet {mappings[0].subnet_id}")}})
        pulumi.export("first", lb.subnet_mappings[0].subnet_id)
    """)
    assert _flows(capsys, _project(tmp_path, program)) == (0, [])


@pytest.mark.parametrize(("region", "code"), [("us-east-1", 1), ("eu-north-1", 0)])
def test_a_value_built_from_an_output_is_read_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], region: str, code: int
) -> None:
    # The in-stack queue's URL first, then a literal endpoint: both are destinations.
    program = AWS_HEAD + textwrap.dedent(f"""
        sinks = pulumi.Output.concat(
            queue.url, ",https://sqs.{region}.amazonaws.com/444455556666/analytics"
        )
        aws.lambda_.Function(
            "fanout",
            role="arn:aws:iam::123456789012:role/fanout",
            runtime="python3.12",
            handler="app.main",
            code=pulumi.AssetArchive({{"app.py": pulumi.StringAsset("x = 1")}}),
            environment={{"variables": {{"SINKS": sinks}}}},
        )
    """)
    found_code, found = _flows(capsys, _project(tmp_path, program))
    assert found_code == code, found
    if code:
        assert any(d["urn"].endswith("::fanout") and region in d["message"] for d in found), found


@pytest.mark.parametrize(("location", "code"), [("westeurope", 0), ("eastus", 1)])
def test_a_host_built_from_an_in_stack_account_s_name_is_that_account(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], location: str, code: int
) -> None:
    # A function app runs its package from the stack's own account, by a URL built from its name.
    program = textwrap.dedent(f"""
        import pulumi
        import pulumi_azure_native as azure_native

        group = azure_native.resources.ResourceGroup("apps", location="westeurope")
        account = azure_native.storage.StorageAccount(
            "packages",
            resource_group_name=group.name,
            location="{location}",
            kind="StorageV2",
            sku={{"name": "Standard_ZRS"}},
        )
        package = pulumi.Output.concat(
            "https://", account.name, ".blob.core.windows.net/releases/app.zip?sv=2022-11-02"
        )
        setting = {{"name": "WEBSITE_RUN_FROM_PACKAGE", "value": package}}
        azure_native.web.WebApp(
            "functions",
            resource_group_name=group.name,
            kind="functionapp",
            site_config={{"app_settings": [setting]}},
        )
    """)
    found_code, found = _flows(capsys, _project(tmp_path, program))
    assert found_code == code, found
    on_app = [d for d in found if d["urn"].endswith("::functions")]
    assert bool(on_app) is (code == 1), found
    if code:
        assert "eastus" in on_app[0]["message"]


def test_a_secret_made_by_a_random_resource_names_no_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A password from pulumi_random is no destination; a destination made from one proves nothing.
    program = AWS_HEAD + textwrap.dedent("""
        import pulumi_random as random

        password = random.RandomPassword("db", length=24, special=False)
        suffix = random.RandomString("suffix", length=8, special=False, upper=False)
        aws.rds.Instance(
            "orders",
            engine="postgres",
            instance_class="db.t4g.micro",
            allocated_storage=20,
            username="orders",
            password=password.result,
            storage_encrypted=True,
        )
        aws.sns.TopicSubscription(
            "feed",
            topic=topic,
            protocol="https",
            endpoint=pulumi.Output.concat("https://", suffix.result, ".example.com/hook"),
        )
    """)
    code, found = _flows(capsys, _project(tmp_path, program))
    assert code == 1
    assert not [d for d in found if d["urn"].endswith("::orders")], found
    assert any(d["urn"].endswith("::feed") for d in found), found


@pytest.mark.parametrize(("location", "code"), [("europe-west1", 0), ("us-central1", 1)])
def test_a_google_api_url_built_from_a_resource_s_id_is_that_resource(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], location: str, code: int
) -> None:
    # A scheduler job runs an in-stack workflow through the Workflows API, by the workflow's id.
    program = textwrap.dedent(f"""
        import pulumi
        import pulumi_gcp as gcp

        flow = gcp.workflows.Workflow(
            "sync", region="{location}", source_contents="main:\\n  steps: []\\n"
        )
        gcp.cloudscheduler.Job(
            "nightly",
            region="europe-west1",
            schedule="0 2 * * *",
            http_target={{
                "uri": pulumi.Output.concat(
                    "https://workflowexecutions.googleapis.com/v1/", flow.id, "/executions"
                ),
                "http_method": "POST",
            }},
        )
    """)
    config = {"gcp:project": "acme-eu", "gcp:region": "europe-west1"}
    found_code, found = _flows(capsys, _project(tmp_path, program, config))
    assert found_code == code, found
    on_job = [d for d in found if d["urn"].endswith("::nightly")]
    assert bool(on_job) is (code == 1), found
    if code:
        assert "us-central1" in on_job[0]["message"]


@pytest.mark.parametrize(("region", "code"), [("eu-west-1", 0), ("us-east-1", 1)])
def test_a_computed_value_under_a_key_with_dots_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], region: str, code: int
) -> None:
    # Kubernetes annotation keys hold dots; the value is computed from an in-stack queue's URL.
    program = AWS_HEAD + textwrap.dedent(f"""
        import pulumi_kubernetes as k8s

        sink = aws.sqs.Queue("sink", region="{region}")
        kube = k8s.Provider("kube", kubeconfig="{{}}")
        k8s.core.v1.ConfigMap(
            "mirror",
            metadata={{
                "annotations": {{
                    "mirror.example.com/target": pulumi.Output.concat(sink.url, "?copy=1")
                }}
            }},
            data={{"a": "b"}},
            opts=pulumi.ResourceOptions(provider=kube),
        )
    """)
    _, found = _flows(capsys, _project(tmp_path, program))
    on_map = [d for d in found if d["urn"].endswith("::mirror")]
    assert bool(on_map) is (code == 1), found
    if code:
        assert "us-east-1" in on_map[0]["message"]
