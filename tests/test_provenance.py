"""Which unknown inputs are exactly another resource's output: proven while the program runs."""

from __future__ import annotations

import json
from typing import Any, cast

import pulumi
import pulumi_aws as aws
import pulumi_azure_native as azure_native
from hypothesis import given
from hypothesis import strategies as st

from clover.standin import provenance
from clover.standin.engine import UNKNOWN, Recording, run_program


def _run(program: object) -> Recording:
    assert callable(program)
    return run_program(program, project="p", stack="s", config={"aws:region": "eu-west-1"})


QUEUE = "urn:pulumi:s::p::aws:sqs/queue:Queue::q"
TOPIC = "arn:aws:sns:eu-west-1:123456789012:t"


def test_an_exact_output_is_proven_and_a_value_computed_from_it_is_not() -> None:
    override: str | None = "arn:aws:sqs:us-east-1:123456789012:elsewhere"

    def program() -> None:
        queue = aws.sqs.Queue("q")
        aws.sns.TopicSubscription("exact", topic=TOPIC, protocol="sqs", endpoint=queue.arn)
        aws.sns.TopicSubscription(
            "identity", topic=TOPIC, protocol="sqs", endpoint=queue.arn.apply(lambda a: a)
        )
        aws.sns.TopicSubscription(
            "concat", topic=TOPIC, protocol="sqs", endpoint=pulumi.Output.concat(queue.arn, "")
        )
        # Unknown at preview, the override never runs: the value depends on the queue all the same.
        aws.sns.TopicSubscription(
            "override",
            topic=TOPIC,
            protocol="sqs",
            endpoint=queue.arn.apply(lambda a: override or a),
        )

    recording = _run(program)
    assert recording.named("exact").proofs == {"endpoint": f"{QUEUE}#arn"}
    for derived in ("identity", "concat", "override"):
        resource = recording.named(derived)
        assert resource.inputs["endpoint"] == UNKNOWN
        assert resource.property_dependencies["endpoint"] == (QUEUE,)
        assert resource.proofs == {}


def test_nested_values_and_resource_references_are_proven_at_their_paths() -> None:
    def program() -> None:
        bucket = aws.s3.Bucket("b")
        role = aws.iam.Role("r", assume_role_policy="{}")
        aws.lambda_.Function(
            "f",
            role=cast(Any, role),
            runtime="python3.12",
            handler="x",
            code=pulumi.AssetArchive({"index.py": pulumi.StringAsset("x")}),
        )
        aws.cloudtrail.Trail(
            "t",
            s3_bucket_name=bucket.id,
            event_selectors=[
                {"data_resources": [{"type": "AWS::S3::Object", "values": ["x", bucket.arn]}]}
            ],
        )

    recording = _run(program)
    bucket = "urn:pulumi:s::p::aws:s3/bucket:Bucket::b"
    assert recording.named("t").proofs == {
        "s3BucketName": f"{bucket}#id",
        "eventSelectors[0].dataResources[0].values[1]": f"{bucket}#arn",
    }
    # `role=role`: the engine sends the role's id, which is exactly that resource's output.
    assert recording.named("f").proofs == {"role": "urn:pulumi:s::p::aws:iam/role:Role::r#id"}
    assert recording.named("f").inputs["role"] == UNKNOWN


def test_no_marker_reaches_the_mocks_the_outputs_or_the_recorded_inputs() -> None:
    seen: list[object] = []

    def program() -> None:
        group = azure_native.resources.ResourceGroup("rg", location="westeurope")
        account = azure_native.storage.StorageAccount(
            "sa",
            resource_group_name=group.name,
            kind="StorageV2",
            sku={"name": "Standard_ZRS"},
        )
        # The account echoes its inputs as outputs at preview: still the unknown, never a marker.
        azure_native.storage.BlobContainer(
            "c", account_name=account.name, resource_group_name=group.name
        )
        pulumi.export("group", group.name)
        # A read's state goes through the same serialization: unmarked too.
        # The mocks echo a read's state back: an unknown, which apply never sees, not a marker.
        read = aws.s3.BucketPolicy.get("read", "read-id", bucket=aws.s3.Bucket("b").id)
        read.bucket.apply(seen.append)

    recording = _run(program)
    text = json.dumps([r.inputs for r in recording.resources]) + json.dumps(recording.outputs)
    assert seen == []
    assert provenance.MARK not in text
    container = recording.named("c")
    assert container.proofs["accountName"].endswith("StorageAccount::sa#name")
    assert container.proofs["resourceGroupName"].endswith("ResourceGroup::rg#name")


def test_data_source_arguments_are_never_marked() -> None:
    seen: list[object] = []

    def program() -> None:
        bucket = aws.s3.Bucket("b")
        result = aws.iam.get_policy_document_output(
            statements=[
                aws.iam.GetPolicyDocumentStatementArgs(
                    actions=["s3:GetObject"], resources=cast(Any, [bucket.arn])
                )
            ]
        )
        result.json.apply(seen.append)

    recording = _run(program)
    assert provenance.MARK not in json.dumps(recording.invokes)


_LEAF = st.one_of(st.text(max_size=8), st.integers(), st.booleans(), st.none())
_TREE = st.recursive(
    _LEAF,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(alphabet="abcXYZ-_", min_size=1, max_size=6), children, max_size=4),
    ),
    max_leaves=20,
)


@given(_TREE)
def test_a_tree_without_markers_comes_back_unchanged(tree: object) -> None:
    cleaned, proofs = provenance.take_proofs(tree)
    assert cleaned == tree
    assert proofs == {}


def test_a_path_through_a_key_with_dots_leads_to_its_value() -> None:
    value = {"metadata": {"annotations": {"a.b.io/x": "v", "a": {"b": "other"}}}}
    assert provenance.at(value, "metadata.annotations.a.b.io/x") == "v"
    assert provenance.at(value, "metadata.annotations.a.b") == "other"
    assert provenance.at(value, "metadata.annotations.nope.x") is None
