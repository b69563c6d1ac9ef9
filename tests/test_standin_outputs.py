"""Outputs a provider fills in during Check are known to the program at preview."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pulumi_azure_native as azure_native

from clover.standin.engine import UNKNOWN, Recording, run_program
from clover.standin.provider_defaults import takes_argument

SKU = azure_native.storage.SkuArgs(name="Standard_LRS")


def _run(program: object, config: dict[str, str] | None = None) -> Recording:
    assert callable(program)
    return run_program(program, project="p", stack="s", config=config or {}, preview=True)


def _group(location: str | None = "westeurope") -> azure_native.resources.ResourceGroup:
    return azure_native.resources.ResourceGroup(
        "rg", resource_group_name="rg-eu", location=location
    )


def _account(
    name: str,
    group: pulumi.Input[str],
    opts: pulumi.ResourceOptions | None = None,
    location: pulumi.Input[str] | None = None,
) -> azure_native.storage.StorageAccount:
    return azure_native.storage.StorageAccount(
        name, resource_group_name=group, kind="StorageV2", sku=SKU, location=location, opts=opts
    )


def test_location_inherited_from_the_resource_group_is_known() -> None:
    def program() -> None:
        group = _group()
        account = _account("sa", "rg-eu", pulumi.ResourceOptions(depends_on=[group]))
        _account("copy", "rg-eu", location=account.location)
        pulumi.export("location", account.location)

    recording = _run(program)
    assert recording.outputs["location"] == "westeurope"
    copy = recording.named("copy")
    assert copy.inputs["location"] == "westeurope", copy.urn


def test_location_from_the_explicit_provider_wins_over_the_group() -> None:
    def program() -> None:
        group = _group()
        north = azure_native.Provider("north", location="northeurope")
        account = _account(
            "sa", "rg-eu", pulumi.ResourceOptions(provider=north, depends_on=[group])
        )
        pulumi.export("location", account.location)

    assert _run(program).outputs["location"] == "northeurope"


def test_location_from_the_default_provider_config() -> None:
    def program() -> None:
        pulumi.export("location", _account("sa", "some-group").location)

    config = {"azure-native:location": "swedencentral"}
    assert _run(program, config).outputs["location"] == "swedencentral"


def test_location_is_unknown_when_the_group_is_unknown() -> None:
    def program() -> None:
        # An autonamed group: its name is not known to the stand-in at preview.
        group = azure_native.resources.ResourceGroup("rg", location="westeurope")
        account = _account("sa", group.name)
        _account("copy", "rg-eu", location=account.location)
        pulumi.export("location", account.location)

    recording = _run(program)
    assert recording.outputs["location"] == UNKNOWN
    assert recording.named("copy").inputs["location"] == UNKNOWN


def test_location_is_unknown_when_the_group_is_not_in_the_stack() -> None:
    def program() -> None:
        pulumi.export("location", _account("sa", "elsewhere").location)

    assert _run(program).outputs["location"] == UNKNOWN


def test_sub_resources_get_no_location() -> None:
    assert takes_argument("azure-native:storage:StorageAccount", "location")
    assert not takes_argument("azure-native:storage:BlobContainer", "location")
    assert takes_argument("aws:s3/bucket:Bucket", "region")
    assert not takes_argument("aws:iam/role:Role", "region")


def test_modules_named_by_a_python_keyword_are_found() -> None:
    # pulumi_aws.lambda_: without it every Lambda would be shown unplaced in the report.
    assert takes_argument("aws:lambda/function:Function", "region")
    assert takes_argument("aws:lambda/permission:Permission", "region")


def test_aws_region_from_an_explicit_provider_is_known() -> None:
    def program() -> None:
        us = aws.Provider("us", region="us-east-1")
        bucket = aws.s3.Bucket("b", opts=pulumi.ResourceOptions(provider=us))
        aws.s3.Bucket("follower", region=bucket.region)
        pulumi.export("region", bucket.region)
        own = aws.s3.Bucket("own", region="eu-central-1", opts=pulumi.ResourceOptions(provider=us))
        pulumi.export("own", own.region)

    recording = _run(program, {"aws:region": "eu-west-1"})
    assert recording.outputs["region"] == "us-east-1"
    assert recording.outputs["own"] == "eu-central-1"
    assert recording.named("follower").inputs["region"] == "us-east-1"


def test_aws_region_from_the_stack_config_for_the_default_provider() -> None:
    def program() -> None:
        pulumi.export("region", aws.s3.Bucket("b").region)

    assert _run(program, {"aws:region": "eu-west-1"}).outputs["region"] == "eu-west-1"
    # Without aws:region (for example only AWS_REGION in the environment) it stays unknown.
    assert _run(program).outputs["region"] == UNKNOWN


def test_a_classic_group_s_location_comes_from_the_stack_s_azure_location() -> None:
    import pulumi_azure as azure_classic

    def program() -> None:
        group = azure_classic.core.ResourceGroup("rg")
        explicit = azure_classic.Provider("explicit", features=azure_classic.ProviderFeaturesArgs())
        other = azure_classic.core.ResourceGroup(
            "other", opts=pulumi.ResourceOptions(provider=explicit)
        )
        pulumi.export("location", group.location)
        pulumi.export("other", other.location)

    recording = _run(program, {"azure:location": "northeurope"})
    assert recording.outputs["location"] == "northeurope"
    # pulumi-azure's Provider takes no location: the stack's applies to the default provider only.
    assert recording.outputs["other"] == UNKNOWN
    assert _run(program).outputs["location"] == UNKNOWN


def test_the_update_run_gives_every_computed_string_output_a_stand_in_naming_its_resource() -> None:
    import pulumi_aws as aws_sdk

    from clover.standin.provider_defaults import STAND_IN_SUFFIX, stand_in_digest

    def program() -> None:
        api = aws_sdk.apigatewayv2.Api("api", protocol_type="HTTP", description="given")
        pulumi.export("url", pulumi.Output.concat(api.api_endpoint, "/live"))
        pulumi.export("description", api.description)

    update = run_program(program, project="p", stack="s", config={}, preview=False)
    digest = stand_in_digest("aws:apigatewayv2/api:Api", "api")
    assert update.outputs["url"] == f"apiendpoint.{digest}{STAND_IN_SUFFIX}/live"
    assert update.outputs["description"] == "given"  # an input is echoed, never replaced
    preview = run_program(program, project="p", stack="s", config={}, preview=True)
    assert preview.outputs.get("url") in (None, UNKNOWN)  # at preview it stays unknown


def test_the_update_run_gives_vpcs_and_endpoints_ids_of_aws_form() -> None:
    """Policies name them in conditions (``aws:SourceVpc``, ``aws:SourceVpce``): an id of AWS's
    form reads as one, as it will after the deploy."""
    import re

    import pulumi_aws_native as aws_native

    def program() -> None:
        vpc = aws.ec2.Vpc("net", cidr_block="10.0.0.0/16")
        endpoint = aws.ec2.VpcEndpoint("s3", vpc_id=vpc.id, service_name="com.amazonaws.x.s3")
        native = aws_native.ec2.VpcEndpoint("kms", vpc_id=vpc.id, service_name="k")
        pulumi.export("ids", [vpc.id, endpoint.id, native.id])

    vpc_id, endpoint_id, native_id = run_program(
        program, project="p", stack="s", config={}, preview=False
    ).outputs["ids"]
    assert re.fullmatch(r"vpc-[0-9a-f]{17}", vpc_id), vpc_id
    assert re.fullmatch(r"vpce-[0-9a-f]{17}", endpoint_id), endpoint_id
    assert re.fullmatch(r"vpce-[0-9a-f]{17}", native_id), native_id
    assert endpoint_id != native_id


def test_gcp_project_region_and_zone_come_from_the_provider_as_the_plan_shows_them() -> None:
    import pulumi_gcp as gcp

    def program() -> None:
        function = gcp.cloudfunctions.Function("fn", runtime="python310", trigger_http=True)
        pulumi.export("region", function.region)
        pulumi.export("project", function.project)
        other = gcp.Provider("other", project="p2", region="us-central1")
        moved = gcp.cloudfunctions.Function(
            "moved", runtime="python310", opts=pulumi.ResourceOptions(provider=other)
        )
        pulumi.export("moved", moved.region)
        own = gcp.cloudfunctions.Function("own", runtime="python310", region="europe-north1")
        pulumi.export("own", own.region)
        pulumi.export("bucket_region", gcp.storage.Bucket("b", location="EU").location)

    recording = _run(program, {"gcp:project": "p1", "gcp:region": "europe-west1"})
    assert recording.outputs["region"] == "europe-west1"
    assert recording.outputs["project"] == "p1"
    assert recording.outputs["moved"] == "us-central1"
    assert recording.outputs["own"] == "europe-north1"
    assert recording.outputs["bucket_region"] == "EU"
    assert _run(program).outputs.get("region") in (None, UNKNOWN)


def test_the_update_run_answers_a_cloud_lookup_with_stand_ins_naming_no_resource() -> None:
    """At preview a lookup's placement fields are unknown; in the evidence run (an update) the
    SDK would make them None, and a program passing one to a required input would stop: a
    stand-in keeps it running, and names no resource of the stack, so it proves nothing."""
    from clover.standin.provider_defaults import STAND_IN_SUFFIX

    def program() -> None:
        zone = aws.route53.get_zone(name="example.com")
        aws.route53.Record("www", zone_id=zone.id, name="www", type="A", records=["192.0.2.1"])
        pulumi.export("zone", zone.id)

    preview = run_program(program, project="p", stack="s", config={"aws:region": "eu-west-1"})
    assert preview.outputs["zone"] == UNKNOWN
    update = run_program(
        program, project="p", stack="s", config={"aws:region": "eu-west-1"}, preview=False
    )
    assert update.outputs["zone"].startswith("id."), update.outputs
    assert update.outputs["zone"].endswith(STAND_IN_SUFFIX)


def test_the_update_run_gives_a_load_balancer_service_its_address() -> None:
    import pulumi_kubernetes as k8s

    def program() -> None:
        web = k8s.core.v1.Service(
            "web", spec={"type": "LoadBalancer", "ports": [{"port": 80}], "selector": {"a": "b"}}
        )
        inner = k8s.core.v1.Service("inner", spec={"ports": [{"port": 80}]})
        # As programs read it (the guestbook example): the first ingress entry's address.
        pulumi.export("ip", web.status.apply(lambda s: s.load_balancer.ingress[0].ip))  # type: ignore[union-attr,index]
        pulumi.export("inner", inner.status)

    update = run_program(program, project="p", stack="s", config={}, preview=False)
    assert update.outputs["ip"] == "192.0.2.1"  # RFC 5737 documentation address
    assert update.outputs["inner"] in (None, {})  # a ClusterIP Service gets no external address
