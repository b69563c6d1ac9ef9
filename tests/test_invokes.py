"""Data sources answered offline by the engine stand-in (clover/standin/invokes.py)."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import re
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_azure_native as azure_native
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pulumi import _types
from pulumi.runtime import rpc

from clover.standin.engine import UNKNOWN, Recording, run_program
from clover.standin.invokes import UnanswerableInvokeError, policy_document, shape


def _run(program: object, config: dict[str, str] | None = None) -> Recording:
    assert callable(program)
    return run_program(program, project="p", stack="s", config=config or {}, preview=True)


def _doc(**args: Any) -> Any:
    return json.loads(policy_document(args)["json"])


# --- aws.iam.get_policy_document, against JSON written from the provider's docs -----------------


def test_policy_document_statements_principals_and_conditions() -> None:
    result = policy_document(
        {
            "statements": [
                {
                    "sid": "ReadLogs",
                    "actions": ["s3:GetObject", "s3:ListBucket"],
                    "resources": ["arn:aws:s3:::logs", "arn:aws:s3:::logs/*"],
                    "principals": [
                        {"type": "Service", "identifiers": ["cloudtrail.amazonaws.com"]},
                        {
                            "type": "AWS",
                            "identifiers": [
                                "arn:aws:iam::111122223333:root",
                                "arn:aws:iam::123456789012:root",
                            ],
                        },
                    ],
                    "conditions": [
                        {
                            "test": "StringEquals",
                            "variable": "aws:SourceAccount",
                            "values": ["123456789012"],
                        },
                        {"test": "Bool", "variable": "aws:SecureTransport", "values": ["true"]},
                    ],
                },
                {
                    "effect": "Deny",
                    "notActions": ["iam:*"],
                    "notResources": ["arn:aws:s3:::home/&{aws:username}"],
                },
            ]
        }
    )
    # Lists of several are sorted in reverse, one element is a string, map keys sorted, the
    # empty Sid left out, `&{` becomes `${` (policy_document_data_source.go, policy_model.go).
    expected = (
        '{"Version":"2012-10-17","Statement":['
        '{"Sid":"ReadLogs","Effect":"Allow","Action":["s3:ListBucket","s3:GetObject"],'
        '"Resource":["arn:aws:s3:::logs/*","arn:aws:s3:::logs"],'
        '"Principal":{"AWS":["arn:aws:iam::123456789012:root","arn:aws:iam::111122223333:root"],'
        '"Service":"cloudtrail.amazonaws.com"},'
        '"Condition":{"Bool":{"aws:SecureTransport":"true"},'
        '"StringEquals":{"aws:SourceAccount":"123456789012"}}},'
        '{"Effect":"Deny","NotAction":"iam:*","NotResource":"arn:aws:s3:::home/${aws:username}"}]}'
    )
    assert result["minifiedJson"] == expected
    assert result["json"] == json.dumps(json.loads(expected), indent=2)
    assert result["version"] == "2012-10-17"


def test_policy_document_star_principal_collapses_only_for_type_star() -> None:
    star = _doc(statements=[{"principals": [{"type": "*", "identifiers": ["*"]}]}])
    aws_star = _doc(statements=[{"principals": [{"type": "AWS", "identifiers": ["*"]}]}])
    assert star["Statement"][0]["Principal"] == "*"
    assert aws_star["Statement"][0]["Principal"] == {"AWS": "*"}


def test_policy_document_override_replaces_the_statement_of_its_sid() -> None:
    override = policy_document(
        {"statements": [{"sid": "SidToOverride", "actions": ["s3:*"], "resources": ["*"]}]}
    )["json"]
    doc = _doc(
        statements=[
            {"actions": ["ec2:*"], "resources": ["*"]},
            {
                "sid": "SidToOverride",
                "actions": ["s3:*"],
                "resources": ["arn:aws:s3:::somebucket", "arn:aws:s3:::somebucket/*"],
            },
        ],
        overridePolicyDocuments=[override],
    )
    assert doc == {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"},
            {"Sid": "SidToOverride", "Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        ],
    }


def test_policy_document_sources_merge_in_order() -> None:
    one = policy_document(
        {
            "statements": [
                {"actions": ["ec2:*"], "resources": ["*"]},
                {"sid": "UniqueSidOne", "actions": ["s3:*"], "resources": ["*"]},
            ]
        }
    )["json"]
    two = policy_document(
        {
            "statements": [
                {"sid": "UniqueSidTwo", "actions": ["iam:*"], "resources": ["*"]},
                {"actions": ["lambda:*"], "resources": ["*"]},
            ]
        }
    )["json"]
    doc = _doc(sourcePolicyDocuments=[one, two])
    assert [(s.get("Sid"), s["Action"]) for s in doc["Statement"]] == [
        (None, "ec2:*"),
        ("UniqueSidOne", "s3:*"),
        ("UniqueSidTwo", "iam:*"),
        (None, "lambda:*"),
    ]


def test_policy_document_source_and_override_together() -> None:
    source = policy_document(
        {
            "statements": [
                {
                    "sid": "OverridePlaceholder",
                    "actions": ["ec2:DescribeAccountAttributes"],
                    "resources": ["*"],
                }
            ]
        }
    )["json"]
    override = policy_document(
        {
            "statements": [
                {"sid": "OverridePlaceholder", "actions": ["s3:GetObject"], "resources": ["*"]}
            ]
        }
    )["json"]
    doc = _doc(sourcePolicyDocuments=[source], overridePolicyDocuments=[override])
    assert doc["Statement"] == [
        {"Sid": "OverridePlaceholder", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
    ]


def test_policy_document_duplicate_source_sid_is_refused() -> None:
    source = policy_document({"statements": [{"sid": "A", "actions": ["s3:*"]}]})["json"]
    with pytest.raises(UnanswerableInvokeError, match=r"duplicate Sid \(A\)"):
        policy_document({"sourcePolicyDocuments": [source, source]})


def test_get_policy_document_in_a_program_plain_and_output() -> None:
    def program() -> None:
        plain = aws.iam.get_policy_document(statements=[{"actions": ["s3:*"], "resources": ["*"]}])
        out = aws.iam.get_policy_document_output(
            statements=[{"actions": ["s3:*"], "resources": ["*"]}]
        )
        pulumi.export("plain", plain.minified_json)
        pulumi.export("out", out.minified_json)

    recording = _run(program)
    expected = (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}'
    )
    assert recording.outputs == {"plain": expected, "out": expected}
    assert {i["how"] for i in recording.invokes} == {"computed"}


# --- region, partition, zones: default and explicit providers -----------------------------------


def test_default_provider_region_is_the_stack_aws_region() -> None:
    def program() -> None:
        pulumi.export("region", aws.get_region().region)
        pulumi.export("zones", aws.get_availability_zones().names)
        pulumi.export("partition", aws.get_partition().partition)

    outputs = _run(program, {"aws:region": "eu-central-1"}).outputs
    assert outputs["region"] == "eu-central-1"
    assert outputs["zones"] == ["eu-central-1a", "eu-central-1b", "eu-central-1c"]
    assert outputs["partition"] == "aws"


def test_explicit_provider_region_wins_over_the_stack() -> None:
    def program() -> None:
        eu = aws.Provider("eu", region="eu-west-1")
        opts = pulumi.InvokeOptions(provider=eu)
        pulumi.export("region", aws.get_region(opts=opts).region)
        pulumi.export("out", aws.get_region_output(opts=opts).region)

    outputs = _run(program, {"aws:region": "us-east-1"}).outputs
    assert outputs == {"region": "eu-west-1", "out": "eu-west-1"}


def test_region_unknown_without_config_makes_zones_unknown() -> None:
    def program() -> None:
        zones = aws.get_availability_zones()
        aws.ec2.Subnet(
            "s", vpc_id="vpc-1", cidr_block="10.0.0.0/24", availability_zone=zones.names[0]
        )

    subnet = _run(program).named("s")
    assert subnet.inputs["availabilityZone"] == UNKNOWN, subnet.urn


def test_get_arn_is_parsed() -> None:
    def program() -> None:
        arn = aws.get_arn(arn="arn:aws:s3:eu-west-1:123456789012:bucket/a:b")
        pulumi.export("parts", [arn.region, arn.service, arn.account, arn.resource])

    outputs = _run(program).outputs
    assert outputs["parts"] == ["eu-west-1", "s3", "123456789012", "bucket/a:b"]


def test_canonical_user_id_is_one_per_account() -> None:
    """The bucket owner's canonical id: the same for every call in one account, another for
    another account, 64 hex digits as S3 forms it."""

    def program() -> None:
        other = aws.Provider("other", region="eu-west-1", allowed_account_ids=["210987654321"])
        pulumi.export("a", aws.s3.get_canonical_user_id().id)
        pulumi.export("b", aws.s3.get_canonical_user_id_output().id)
        pulumi.export(
            "other", aws.s3.get_canonical_user_id(opts=pulumi.InvokeOptions(provider=other)).id
        )

    outputs = _run(program, {"aws:region": "eu-west-1"}).outputs
    assert outputs["a"] == outputs["b"] != outputs["other"]
    assert len(outputs["a"]) == 64
    assert int(outputs["a"], 16) >= 0


def test_a_vpc_endpoint_id_has_aws_s_form_in_the_update_run() -> None:
    def program() -> None:
        endpoint = aws.ec2.VpcEndpoint(
            "s3", vpc_id="vpc-1", service_name="com.amazonaws.eu-west-1.s3"
        )
        pulumi.export("id", endpoint.id)

    recording = run_program(
        program, project="p", stack="s", config={"aws:region": "eu-west-1"}, preview=False
    )
    assert re.fullmatch(r"vpce-[0-9a-f]{17}", recording.outputs["id"]), recording.outputs


# --- cloud lookups: shaped, placements unknown --------------------------------------------------


def test_get_ami_plain_and_output_leave_the_image_unknown() -> None:
    def program() -> None:
        eu = aws.Provider("eu", region="eu-west-1")
        opts = pulumi.ResourceOptions(provider=eu)
        ami = aws.ec2.get_ami(most_recent=True, owners=["amazon"])
        aws.ec2.Instance("plain", ami=ami.id, instance_type="t3.micro", opts=opts)
        later = aws.ec2.get_ami_output(most_recent=True, owners=["amazon"])
        aws.ec2.Instance("output", ami=later.id, instance_type="t3.micro", opts=opts)
        pulumi.export("architecture", ami.architecture)
        pulumi.export("owners", later.owners)
        pulumi.export("public", ami.public)

    recording = _run(program)
    for name in ("plain", "output"):
        instance = recording.named(name)
        assert instance.inputs["ami"] == UNKNOWN, instance.urn
    assert isinstance(recording.outputs["architecture"], str)
    assert recording.outputs["architecture"] != UNKNOWN
    assert recording.outputs["owners"] == ["amazon"]
    assert recording.outputs["public"] is False
    assert [i["how"] for i in recording.invokes] == ["shaped", "shaped"]
    assert "region" in recording.invokes[0]["unknown"]


def test_get_vpc_output_placement_unknown_other_fields_typed() -> None:
    def program() -> None:
        vpc = aws.ec2.get_vpc_output(default=True)
        pulumi.export("id", vpc.id)
        pulumi.export("arn", vpc.arn)
        pulumi.export("dns", vpc.enable_dns_support)

    outputs = _run(program).outputs
    assert outputs["id"] == UNKNOWN
    assert outputs["arn"] == UNKNOWN
    assert outputs["dns"] is False


def test_get_resource_group_location_is_unknown_where_it_is_passed_on() -> None:
    def program() -> None:
        group = azure_native.resources.get_resource_group(resource_group_name="rg")
        later = azure_native.resources.get_resource_group_output(resource_group_name="rg")
        for name, location in (("plain", group.location), ("output", later.location)):
            azure_native.storage.StorageAccount(
                name,
                resource_group_name="rg",
                location=location,
                kind="StorageV2",
                sku={"name": "Standard_LRS"},
            )

    recording = _run(program)
    for name in ("plain", "output"):
        account = recording.named(name)
        assert account.inputs["location"] == UNKNOWN, account.urn


def test_unshapeable_lookup_names_the_token_and_the_program_line() -> None:
    line = inspect.currentframe().f_lineno + 3  # type: ignore[union-attr]

    def program() -> None:
        pulumi.runtime.invoke("acme:index/getThing:getThing", {})

    with pytest.raises(UnanswerableInvokeError) as raised:
        _run(program)
    message = str(raised.value)
    assert message.startswith(
        f"data source acme:index/getThing:getThing called at tests/test_invokes.py:{line} "
        "cannot be answered offline:"
    ), message
    assert "\n" not in message
    assert isinstance(raised.value, pulumi.RunError)


# --- the shaper over real SDK result types ------------------------------------------------------

_AWS_MODULES = ("ec2", "s3", "iam", "rds", "lambda_", "kms", "ecs", "eks", "route53", "sqs")
_AZURE_MODULES = ("storage", "resources", "network", "keyvault", "compute", "sql", "web")


def _result_types(package: str, modules: tuple[str, ...]) -> list[type]:
    """The result types of the data sources of these SDK modules (one file per function)."""
    found = []
    for name in modules:
        module = importlib.import_module(f"{package}.{name}")
        for info in sorted(pkgutil.iter_modules(module.__path__), key=lambda i: i.name):
            if not info.name.startswith(("get_", "list_")):
                continue
            # Read through the package (`ec2.GetAmiResult`): importing the submodule itself
            # would bind it over the function of the same name.
            result = "".join(p.capitalize() for p in info.name.split("_")) + "Result"
            value = getattr(module, result, None)
            if inspect.isclass(value) and _types.is_output_type(value):
                found.append(value)
    return found


_SAMPLE = _result_types("pulumi_aws", _AWS_MODULES) + _result_types(
    "pulumi_azure_native", _AZURE_MODULES
)


def test_sample_is_large() -> None:
    assert len(_SAMPLE) >= 200


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(_SAMPLE))
def test_shaped_results_construct_the_sdk_result(typ: type) -> None:
    value = rpc.translate_output_properties(shape(typ), lambda prop: prop, typ)
    assert isinstance(value, typ)


def test_an_unproven_value_of_one_lookup_passed_to_another_is_answered() -> None:
    # A real preview knows the first lookup's id and answers the second; offline both are
    # answered, and what could carry a placement stays unproven.
    def program() -> None:
        api = aws.apigateway.get_rest_api(name="my-rest-api")
        found = aws.apigateway.get_resource(rest_api_id=api.id, path="/endpoint/path")
        pulumi.export("path", found.path)
        pulumi.export("rest_api_id", found.rest_api_id)

    recording = run_program(
        program, project="p", stack="s", config={"aws:region": "eu-west-1"}, preview=True
    )
    assert recording.outputs["path"] == "/endpoint/path"
    assert recording.outputs["rest_api_id"] == UNKNOWN


def test_kubernetes_yaml_is_decoded_as_the_provider_does() -> None:
    from pulumi_kubernetes.yaml import ConfigGroup

    text = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: foo\n---\n---\n"
    text += "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: b\n"

    def program() -> None:
        ConfigGroup("example", yaml=[text])

    recording = run_program(program, project="p", stack="s", config={}, preview=True)
    kinds = sorted(r.type for r in recording.resources if r.type.startswith("kubernetes:core"))
    assert kinds == ["kubernetes:core/v1:ConfigMap", "kubernetes:core/v1:Namespace"]
    assert [i["how"] for i in recording.invokes] == ["computed"]


def test_a_registry_login_token_decodes_as_user_and_password() -> None:
    # The common ECR idiom: decode the token, split it, log the Docker provider in.
    def program() -> None:
        import base64

        token = aws.ecr.get_authorization_token()
        user, _password = base64.b64decode(token.authorization_token).decode().split(":")
        pulumi.export("user", user)
        pulumi.export("endpoint", token.proxy_endpoint)

    recording = run_program(program, project="p", stack="s", config={"aws:region": "eu-west-1"})
    assert recording.outputs["user"] == "offline"
    # Where the registry is stays unproven.
    assert recording.outputs["endpoint"] == UNKNOWN


def test_aws_native_provider_functions_answer_from_the_provider() -> None:
    """pulumi-aws-native's getAccountId/getRegion/getPartition/getUrlSuffix read the provider's
    own configuration, as pulumi-aws's do: computed offline, the account from allowedAccountIds."""
    import pulumi_aws_native as aws_native

    def program() -> None:
        pulumi.export("account", aws_native.get_account_id().account_id)
        pulumi.export("region", aws_native.get_region_output().region)
        pulumi.export("partition", aws_native.get_partition().partition)
        pulumi.export("suffix", aws_native.get_url_suffix().url_suffix)

    config = {"aws-native:region": "eu-north-1", "aws-native:allowedAccountIds": '["210987654321"]'}
    outputs = _run(program, config).outputs
    assert outputs == {
        "account": "210987654321",
        "region": "eu-north-1",
        "partition": "aws",
        "suffix": "amazonaws.com",
    }


def test_classic_azure_client_config_is_the_providers_own() -> None:
    import pulumi_azure as azure

    def program() -> None:
        client = azure.core.get_client_config()
        pulumi.export("tenant", client.tenant_id)
        pulumi.export("subscription", client.subscription_id)

    outputs = _run(program, {"azure:location": "northeurope"}).outputs
    assert rpc.UNKNOWN not in outputs.values(), outputs
    assert outputs["tenant"] == azure_native_tenant()


def azure_native_tenant() -> str:
    def program() -> None:
        pulumi.export("tenant", azure_native.authorization.get_client_config().tenant_id)

    return str(_run(program).outputs["tenant"])


def test_the_update_run_answers_the_output_form_with_stand_ins_too() -> None:
    def program() -> None:
        ami = aws.ec2.get_ami_output(owners=["amazon"], most_recent=True)
        pulumi.export("id", ami.id)

    config = {"aws:region": "eu-west-1"}
    assert _run(program, config).outputs["id"] == UNKNOWN
    update = run_program(program, project="p", stack="s", config=config, preview=False)
    assert str(update.outputs["id"]).endswith(".stand-in.invalid"), update.outputs
