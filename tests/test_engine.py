"""The engine stand-in: what it records and how it answers, compared with what the engine does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import pulumi
import pulumi_aws as aws
import pulumi_azure_native as azure_native
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pulumi.output import Unknown
from pulumi.runtime.rpc import _special_resource_sig as RESOURCE_SIG  # noqa: N812
from pulumi.runtime.rpc import _special_sig_key as SIG_KEY  # noqa: N812
from pulumi.runtime.rpc import contains_unknowns as sdk_contains_unknowns

from clover.standin.engine import (
    FAKE_AWS_ACCOUNT_ID,
    UNKNOWN,
    Recording,
    _contains_unknowns,
    run_program,
    to_engine_value,
)


def _run(program: object, preview: bool = True, config: dict[str, str] | None = None) -> Recording:
    assert callable(program)
    return run_program(program, project="p", stack="s", config=config or {}, preview=preview)


def test_records_options_the_mocks_api_does_not_show() -> None:
    def program() -> None:
        eu = aws.Provider("eu", region="eu-west-1")
        parent = pulumi.ComponentResource(
            "test:index:Parent", "parent", None, pulumi.ResourceOptions(providers=[eu])
        )
        key = aws.kms.Key("key", opts=pulumi.ResourceOptions(parent=parent, protect=True))
        aws.s3.Bucket(
            "bucket",
            opts=pulumi.ResourceOptions(parent=parent, retain_on_delete=True, depends_on=[key]),
        )

    recording = _run(program)
    by_name = {r.name: r for r in recording.resources}
    assert by_name["key"].protect is True
    assert by_name["bucket"].retain_on_delete is True
    assert by_name["key"].urn in by_name["bucket"].dependencies
    assert by_name["bucket"].parent == by_name["parent"].urn
    # The provider is inherited through the parent's providers map, as the engine resolves it.
    assert by_name["bucket"].provider_urn == by_name["eu"].urn
    assert recording.provider_of(by_name["bucket"]) == by_name["eu"]


def test_top_level_urns_match_the_engine() -> None:
    recording = _run(
        lambda: aws.s3.Bucket(
            "b", opts=pulumi.ResourceOptions(provider=aws.Provider("eu", region="eu-west-1"))
        )
    )
    assert recording.named("b").urn == "urn:pulumi:s::p::aws:s3/bucket:Bucket::b"


def test_nested_urns_carry_the_whole_type_chain() -> None:
    def program() -> None:
        site = pulumi.ComponentResource("clover:site:AwsSite", "site")
        storage = pulumi.ComponentResource(
            "clover:storage:AwsSiteStorage", "storage", None, pulumi.ResourceOptions(parent=site)
        )
        eu = aws.Provider("eu", region="eu-west-1", opts=pulumi.ResourceOptions(parent=storage))
        aws.s3.Bucket("bucket", opts=pulumi.ResourceOptions(parent=storage, provider=eu))
        aws.kms.Key("key", opts=pulumi.ResourceOptions(parent=site, provider=eu))

    recording = _run(program)
    chain = "clover:site:AwsSite$clover:storage:AwsSiteStorage"
    # The engine's form, with every component parent from the root down (the SDK's mocks would
    # give `clover:storage:AwsSiteStorage$aws:s3/bucket:Bucket`).
    assert recording.named("site").urn == "urn:pulumi:s::p::clover:site:AwsSite::site"
    assert recording.named("storage").urn == f"urn:pulumi:s::p::{chain}::storage"
    assert recording.named("bucket").urn == f"urn:pulumi:s::p::{chain}$aws:s3/bucket:Bucket::bucket"
    assert recording.named("eu").urn == f"urn:pulumi:s::p::{chain}$pulumi:providers:aws::eu"
    assert recording.named("key").urn == "urn:pulumi:s::p::clover:site:AwsSite$aws:kms/key:Key::key"
    bucket = recording.named("bucket")
    assert bucket.parent == recording.named("storage").urn
    assert recording.provider_of(bucket) == recording.named("eu")


def test_preview_leaves_computed_outputs_unknown() -> None:
    def program() -> None:
        eu = aws.Provider("eu", region="eu-west-1")
        bucket = aws.s3.Bucket("b", opts=pulumi.ResourceOptions(provider=eu))
        aws.s3.BucketVersioning(
            "v",
            bucket=bucket.id,
            versioning_configuration={"status": "Enabled"},
            opts=pulumi.ResourceOptions(provider=eu),
        )

    versioning = _run(program).named("v")
    assert versioning.inputs["bucket"] == UNKNOWN
    assert versioning.property_dependencies["bucket"] == (
        "urn:pulumi:s::p::aws:s3/bucket:Bucket::b",
    )


def test_update_synthesizes_clearly_fake_identifiers() -> None:
    def program() -> None:
        eu = aws.Provider("eu", region="eu-north-1")
        key = aws.kms.Key("k", opts=pulumi.ResourceOptions(provider=eu))
        pulumi.export("arn", key.arn)

    recording = _run(program, preview=False)
    assert recording.outputs["arn"] == f"arn:aws:kms:eu-north-1:{FAKE_AWS_ACCOUNT_ID}:key/k-id"


def test_data_sources_answer_from_the_provider_region() -> None:
    def program() -> None:
        eu = aws.Provider("eu", region="eu-north-1")
        zones = aws.get_availability_zones_output(opts=pulumi.InvokeOptions(provider=eu))
        pulumi.export("zones", zones.names)
        region = aws.get_region_output(opts=pulumi.InvokeOptions(provider=eu))
        pulumi.export("region", region.region)
        client = azure_native.authorization.get_client_config_output(
            opts=pulumi.InvokeOptions(provider=azure_native.Provider("az", location="norwayeast"))
        )
        pulumi.export("tenant", client.tenant_id)

    outputs = _run(program).outputs
    assert outputs["zones"] == ["eu-north-1a", "eu-north-1b", "eu-north-1c"]
    assert outputs["region"] == "eu-north-1"
    assert outputs["tenant"] == "00000000-0000-0000-0000-000000000001"


def test_other_data_sources_are_unknown_not_invented() -> None:
    def program() -> None:
        eu = aws.Provider("eu", region="eu-west-1")
        vpc = aws.ec2.get_vpc_output(default=True, opts=pulumi.InvokeOptions(provider=eu))
        pulumi.export("cidr", vpc.cidr_block)

    assert _run(program).outputs["cidr"] == UNKNOWN


def test_secrets_are_unwrapped_as_the_analyzer_sees_them() -> None:
    def program() -> None:
        eu = aws.Provider("eu", region="eu-west-1")
        aws.ssm.Parameter(
            "p",
            type="SecureString",
            value=pulumi.Output.secret("s3cr3t"),
            opts=pulumi.ResourceOptions(provider=eu),
        )

    assert _run(program).named("p").inputs["value"] == "s3cr3t"


def test_runs_do_not_leak_into_each_other() -> None:
    first = _run(lambda: aws.Provider("one", region="eu-west-1"))
    second = _run(lambda: aws.Provider("two", region="eu-west-1"))
    assert [r.name for r in first.resources] == ["one"]
    assert [r.name for r in second.resources] == ["two"]


def test_source_position_names_the_program_line() -> None:
    def program() -> None:
        eu = aws.Provider("eu", region="eu-west-1")
        aws.s3.Bucket("b", opts=pulumi.ResourceOptions(provider=eu))  # this line

    recording = _run(program)
    source = recording.named("b").source
    assert source is not None
    uri, line = source
    assert uri.endswith("/tests/test_engine.py")
    text = Path(__file__).read_text().splitlines()[line - 1]
    assert "# this line" in text


@given(
    st.recursive(
        st.none() | st.booleans() | st.text(max_size=3) | st.just(Unknown()),  # type: ignore[no-untyped-call]
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(st.text(max_size=2), children, max_size=3)
        ),
        max_leaves=12,
    )
)
def test_fast_contains_unknowns_agrees_with_the_sdk(value: object) -> None:
    assert _contains_unknowns(value) == sdk_contains_unknowns(value)


def test_zones_of_a_computed_region_are_unknown_not_garbage() -> None:
    def program() -> None:
        eu = aws.Provider("eu", region="eu-west-1")
        marker = aws.ssm.Parameter(
            "marker", type="String", value="x", opts=pulumi.ResourceOptions(provider=eu)
        )
        computed = aws.Provider("computed", region=marker.arn.apply(lambda a: a.split(":")[3]))
        zones = aws.get_availability_zones_output(opts=pulumi.InvokeOptions(provider=computed))
        pulumi.export("zones", zones.names)

    assert _run(program).outputs["zones"] == UNKNOWN


# A Resource passed where an input expects its id hung the SDK's worker threads, so the programs
# run in a child process with a deadline: a regression fails the test instead of hanging it.
_RESOURCE_AS_INPUT = """
import json, sys
import pulumi
import pulumi_aws as aws
from clover.standin.engine import run_program

def program():
    eu = aws.Provider("eu", region="eu-west-1")
    opts = pulumi.ResourceOptions(provider=eu)
    role = aws.iam.Role("role", assume_role_policy="{}", opts=opts)
    aws.iam.RolePolicyAttachment(
        "attach", role=role, policy_arn="arn:aws:iam::aws:policy/ReadOnlyAccess", opts=opts
    )
    fn = aws.lambda_.Function(
        "fn",
        role=role.arn,
        runtime="python3.12",
        handler="index.handler",
        code=pulumi.AssetArchive({"index.py": pulumi.StringAsset("def handler(e, c): pass")}),
        opts=opts,
    )
    aws.lambda_.Permission(
        "permission",
        action="lambda:InvokeFunction",
        function=fn,
        principal="s3.amazonaws.com",
        opts=opts,
    )

recording = run_program(program, project="p", stack="s", preview=sys.argv[1] == "preview")
json.dump(
    {
        r.name: {
            "urn": r.urn,
            "inputs": dict(r.inputs),
            "dependencies": list(r.dependencies),
            "property_dependencies": {k: list(v) for k, v in r.property_dependencies.items()},
        }
        for r in recording.resources
    },
    sys.stdout,
)
"""


def _run_in_child(source: str, *argv: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    try:
        done = subprocess.run(
            [sys.executable, "-c", source, *argv],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the program did not finish within 120 s under the stand-in")
    assert done.returncode == 0, done.stderr
    return cast(dict[str, Any], json.loads(done.stdout))


@pytest.mark.parametrize(
    ("mode", "role_id", "function_id"), [("preview", UNKNOWN, UNKNOWN), ("up", "role-id", "fn-id")]
)
def test_a_resource_passed_as_an_input_is_sent_as_its_id(
    mode: str, role_id: str, function_id: str
) -> None:
    recorded = _run_in_child(_RESOURCE_AS_INPUT, mode)
    attach, permission = recorded["attach"], recorded["permission"]
    # What the analyzer receives for a resource reference is the resource's id, unknown at
    # preview for a new resource, never its URN.
    assert attach["inputs"]["role"] == role_id, attach
    assert permission["inputs"]["function"] == function_id, permission
    role_urn, fn_urn = recorded["role"]["urn"], recorded["fn"]["urn"]
    assert role_urn in attach["dependencies"]
    assert attach["property_dependencies"]["role"] == [role_urn]
    assert fn_urn in permission["dependencies"]
    assert permission["property_dependencies"]["function"] == [fn_urn]


def test_a_component_passed_as_an_input_is_sent_as_its_urn() -> None:
    def program() -> None:
        component = pulumi.ComponentResource("test:index:Thing", "thing")
        pulumi.CustomResource(
            "test:index:Part", "part", {}, pulumi.ResourceOptions(parent=component)
        )
        pulumi.CustomResource("test:index:Holder", "holder", {"owner": component})

    recording = _run(program)
    thing, part, holder = (recording.named(n) for n in ("thing", "part", "holder"))
    assert holder.inputs["owner"] == thing.urn
    # The SDK expands a component dependency to the custom resources under it
    # (pulumi/runtime/resource.py, _expand_dependencies), as the engine records it.
    assert holder.property_dependencies["owner"] == (part.urn,)


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ({"urn": "urn:pulumi:s::p::t::r", "id": "r-id"}, "r-id"),
        ({"urn": "urn:pulumi:s::p::t::r", "id": UNKNOWN}, UNKNOWN),
        # An engine sends the id of a resource not yet created as "" (rpc.deserialize_resource).
        ({"urn": "urn:pulumi:s::p::t::r", "id": ""}, UNKNOWN),
        ({"urn": "urn:pulumi:s::p::c::r"}, "urn:pulumi:s::p::c::r"),
    ],
)
def test_engine_form_of_a_resource_reference(reference: dict[str, str], expected: str) -> None:
    wrapped = {SIG_KEY: RESOURCE_SIG, **reference}
    assert to_engine_value({"ref": wrapped, "refs": [wrapped]}) == {
        "ref": expected,
        "refs": [expected],
    }


@pytest.mark.parametrize("form", ["dict", "args"])
def test_a_cloudtrail_field_called_values_serializes(form: str) -> None:
    def program() -> None:
        eu = aws.Provider("eu", region="eu-west-1")
        resources: Any
        if form == "dict":
            resources = [{"type": "AWS::S3::Object", "values": ["arn:aws:s3"]}]
        else:
            resources = [
                aws.cloudtrail.TrailEventSelectorDataResourceArgs(
                    type="AWS::S3::Object", values=["arn:aws:s3"]
                )
            ]
        aws.cloudtrail.Trail(
            "trail",
            s3_bucket_name="logs",
            event_selectors=[{"data_resources": resources}],
            opts=pulumi.ResourceOptions(provider=eu),
        )

    trail = _run(program).named("trail")
    assert trail.inputs["eventSelectors"] == [
        {"dataResources": [{"type": "AWS::S3::Object", "values": ["arn:aws:s3"]}]}
    ], trail.urn


@pytest.mark.parametrize("form", ["dict", "args"])
def test_listener_rule_condition_values_serialize(form: str) -> None:
    def program() -> None:
        eu = aws.Provider("eu", region="eu-west-1")
        condition: Any
        if form == "dict":
            condition = {"path_pattern": {"values": ["/api/*"]}}
        else:
            condition = aws.lb.ListenerRuleConditionArgs(
                path_pattern=aws.lb.ListenerRuleConditionPathPatternArgs(values=["/api/*"])
            )
        aws.lb.ListenerRule(
            "rule",
            listener_arn="arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/x",
            actions=[{"type": "fixed-response", "fixed_response": {"content_type": "text/plain"}}],
            conditions=[condition],
            opts=pulumi.ResourceOptions(provider=eu),
        )

    rule = _run(program, preview=False).named("rule")
    assert rule.inputs["conditions"] == [{"pathPattern": {"values": ["/api/*"]}}], rule.urn


@pulumi.input_type
class _DictLookalikeArgs:
    """An input type whose fields shadow every ``dict`` method a serializer might call."""

    def __init__(
        self,
        *,
        values: pulumi.Input[Sequence[str]],
        items: pulumi.Input[Sequence[pulumi.Input[str]]],
        keys: pulumi.Input[str],
        get: pulumi.Input[str],
    ) -> None:
        pulumi.set(self, "values", values)
        pulumi.set(self, "items", items)
        pulumi.set(self, "keys", keys)
        pulumi.set(self, "get", get)

    @property
    @pulumi.getter
    def values(self) -> pulumi.Input[Sequence[str]]:
        return cast("pulumi.Input[Sequence[str]]", pulumi.get(self, "values"))

    @property
    @pulumi.getter
    def items(self) -> pulumi.Input[Sequence[pulumi.Input[str]]]:
        return cast("pulumi.Input[Sequence[pulumi.Input[str]]]", pulumi.get(self, "items"))

    @property
    @pulumi.getter
    def keys(self) -> pulumi.Input[str]:
        return cast("pulumi.Input[str]", pulumi.get(self, "keys"))

    @property
    @pulumi.getter
    def get(self) -> pulumi.Input[str]:
        return cast("pulumi.Input[str]", pulumi.get(self, "get"))


@pytest.mark.parametrize("preview", [True, False])
def test_input_type_fields_may_be_named_like_dict_methods(preview: bool) -> None:
    def program() -> None:
        value = _DictLookalikeArgs(
            values=["v"], items=[pulumi.Output.from_input("i")], keys="k", get="g"
        )
        pulumi.CustomResource("test:index:Thing", "thing", {"spec": value, "specs": [value]})

    thing = _run(program, preview=preview).named("thing")
    expected = {"values": ["v"], "items": ["i"], "keys": "k", "get": "g"}
    assert thing.inputs == {"spec": expected, "specs": [expected]}, thing.urn


_DICT_METHOD_NAMES = st.sampled_from(["values", "items", "keys", "get", "pop", "copy", "update"])
_JSON_LIKE = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(_DICT_METHOD_NAMES | st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=16,
)


@settings(max_examples=40, deadline=None)
@given(_JSON_LIKE, st.booleans())
def test_any_json_like_input_bag_is_recorded_unchanged(bag: object, as_output: bool) -> None:
    def program() -> None:
        value = pulumi.Output.from_input(bag) if as_output else bag
        pulumi.CustomResource("test:index:Bag", "bag", {"bag": value})

    recorded = _run(program).named("bag").inputs
    # A top-level None is no input at all (rpc.serialize_properties drops it); nested ones stay.
    assert recorded == ({} if bag is None else {"bag": bag})


def test_a_read_resource_keeps_its_id_at_preview() -> None:
    def program() -> None:
        found = aws.s3.Bucket.get("existing", "my-existing-bucket")
        pulumi.export("id", found.id)

    recording = run_program(
        program, project="p", stack="s", config={"aws:region": "eu-west-1"}, preview=True
    )
    assert recording.outputs["id"] == "my-existing-bucket"


def test_stand_in_identities_are_in_the_providers_account() -> None:
    # The provider works only in its allowedAccountIds: ARNs and the caller identity name that
    # account, else a policy computed from them would grant to a foreign one.
    seen: list[str] = []

    def program() -> None:
        own = aws.Provider("own", region="eu-north-1", allowed_account_ids=["210987654321"])
        key = aws.kms.Key("k", opts=pulumi.ResourceOptions(provider=own))
        pulumi.export("arn", key.arn)
        seen.append(aws.get_caller_identity(opts=pulumi.InvokeOptions(provider=own)).account_id)
        pulumi.export("default", aws.get_caller_identity().account_id)

    recording = _run(program, preview=False, config={"aws:allowedAccountIds": '["109876543210"]'})
    assert recording.outputs["arn"] == "arn:aws:kms:eu-north-1:210987654321:key/k-id"
    assert seen == ["210987654321"]
    assert recording.outputs["default"] == "109876543210"


def test_file_asset_paths_name_the_program_s_files_from_anywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The program runs in its directory; the packs run in theirs and read the code from there.
    monkeypatch.chdir(tmp_path)

    def program() -> None:
        aws.lambda_.Function(
            "fn",
            role="arn:aws:iam::123456789012:role/fn",
            runtime="python3.12",
            handler="app.main",
            code=pulumi.AssetArchive(
                {"app": pulumi.FileArchive("./app"), "conf.json": pulumi.FileAsset("conf.json")}
            ),
        )
        aws.lambda_.LayerVersion("deps", layer_name="deps", code=pulumi.FileArchive("/opt/l.zip"))

    recording = _run(program)
    assets = recording.named("fn").inputs["code"]["assets"]
    assert assets["app"]["path"] == str(tmp_path / "app")
    assert assets["conf.json"]["path"] == str(tmp_path / "conf.json")
    assert recording.named("deps").inputs["code"]["path"] == "/opt/l.zip"


@pytest.mark.parametrize("preview", [True, False])
def test_a_policy_document_object_is_kept_as_json_text(preview: bool) -> None:
    # pulumi-aws's own example: the provider keeps the document as JSON, its output a string.
    seen: list[object] = []

    def program() -> None:
        role = aws.iam.Role(
            "role",
            assume_role_policy=aws.iam.PolicyDocumentArgs(
                version=aws.iam.PolicyDocumentVersion.POLICY_DOCUMENT_VERSION_2012_10_17,
                statement=[
                    aws.iam.PolicyStatementArgs(
                        effect=aws.iam.PolicyStatementEffect.ALLOW,
                        action="sts:AssumeRole",
                        principal=aws.iam.ServicePrincipalArgs(service="lambda.amazonaws.com"),
                    )
                ],
            ),
        )
        role.assume_role_policy.apply(seen.append)

    recording = _run(program, preview=preview)
    (document,) = seen
    assert isinstance(document, str)
    assert json.loads(document)["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}
    # What the packs are sent is the input as the program gave it.
    assert recording.named("role").inputs["assumeRolePolicy"]["Version"] == "2012-10-17"


def test_a_local_file_a_setting_uploads_is_named_from_anywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "canary.zip").write_bytes(b"PK")

    def program() -> None:
        for name, path in (("here", "./dist/canary.zip"), ("missing", "./dist/none.zip")):
            aws.synthetics.Canary(
                name,
                artifact_s3_location="s3://artifacts/",
                execution_role_arn="arn:aws:iam::123456789012:role/canary",
                handler="index.handler",
                runtime_version="syn-nodejs-puppeteer-9.1",
                schedule={"expression": "rate(5 minutes)"},
                zip_file=path,
            )

    recording = _run(program)
    assert recording.named("here").inputs["zipFile"] == str(tmp_path / "dist" / "canary.zip")
    # Only a file that is there is named anew; anything else is sent as the program wrote it.
    assert recording.named("missing").inputs["zipFile"] == "./dist/none.zip"


def test_local_files_a_resource_reads_are_named_from_anywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A Kubernetes ConfigGroup's `files` are globs its provider expands from the program's
    # directory: expanded here, so the packs read the manifests (code_files.py).
    monkeypatch.chdir(tmp_path)
    (tmp_path / "manifests").mkdir()
    for name in ("b.yaml", "a.yaml"):
        (tmp_path / "manifests" / name).write_text("kind: ConfigMap\n", encoding="utf-8")

    def program() -> None:
        import pulumi_kubernetes as k8s

        k8s.yaml.v2.ConfigGroup(
            "apps", files=["manifests/*.yaml", "https://example.com/crd.yaml", "missing.yaml"]
        )

    recording = _run(program)
    assert recording.named("apps").inputs["files"] == [
        str(tmp_path / "manifests" / "a.yaml"),
        str(tmp_path / "manifests" / "b.yaml"),
        "https://example.com/crd.yaml",
        "missing.yaml",
    ]


def test_the_program_sees_an_organization_as_under_a_diy_backend() -> None:
    """Every stack belongs to an organization; the DIY backends name it "organization"."""
    recording = run_program(
        lambda: pulumi.export("org", pulumi.get_organization()), project="p", stack="s"
    )
    assert recording.outputs == {"org": "organization"}
