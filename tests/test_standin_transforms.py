"""Resource transforms under the engine stand-in run as the engine runs them (transforms.py)."""

from __future__ import annotations

import asyncio
from typing import cast

import pulumi
import pulumi_aws as aws
import pytest

from clover.standin.engine import UNKNOWN, Recording, run_program

EU = {"aws:region": "eu-west-1"}


def _run(program: object, preview: bool = True) -> Recording:
    assert callable(program)
    return run_program(program, project="p", stack="s", config=EU, preview=preview)


def _to_us_east_1(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult:
    return pulumi.ResourceTransformResult({**args.props, "region": "us-east-1"}, args.opts)


def test_stack_transform_moves_the_region_the_packs_see() -> None:
    def program() -> None:
        aws.s3.Bucket("before", region="eu-west-1")
        pulumi.runtime.register_resource_transform(_to_us_east_1)
        bucket = aws.s3.Bucket("after", region="eu-west-1")
        pulumi.export("region", bucket.region)

    recording = _run(program)
    # Only resources registered after the transform are transformed.
    assert recording.named("before").inputs["region"] == "eu-west-1"
    assert recording.named("after").inputs["region"] == "us-east-1"
    # The program reads back the transformed value, as the engine returns it.
    assert recording.outputs["region"] == "us-east-1"


def test_resource_transform_moves_the_region() -> None:
    def program() -> None:
        aws.s3.Bucket(
            "moved", region="eu-west-1", opts=pulumi.ResourceOptions(transforms=[_to_us_east_1])
        )
        aws.s3.Bucket("kept", region="eu-west-1")

    recording = _run(program)
    assert recording.named("moved").inputs["region"] == "us-east-1"
    assert recording.named("kept").inputs["region"] == "eu-west-1"


def test_transform_changes_protect() -> None:
    def protect(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult:
        return pulumi.ResourceTransformResult(
            args.props,
            pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions(protect=True)),
        )

    def program() -> None:
        pulumi.runtime.register_resource_transform(protect)
        aws.s3.Bucket("b")

    bucket = _run(program).named("b")
    assert bucket.protect is True, bucket.urn


def test_transform_changes_the_provider() -> None:
    def program() -> None:
        us = aws.Provider("us", region="us-east-1")

        def to_us(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult:
            return pulumi.ResourceTransformResult(
                args.props,
                pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions(provider=us)),
            )

        eu = aws.Provider("eu", region="eu-west-1")
        aws.s3.Bucket("b", opts=pulumi.ResourceOptions(provider=eu, transforms=[to_us]))

    recording = _run(program)
    bucket = recording.named("b")
    assert bucket.provider_urn == recording.named("us").urn, bucket.urn


def test_transform_returning_none_changes_nothing() -> None:
    seen: list[str] = []

    def look(args: pulumi.ResourceTransformArgs) -> None:
        seen.append(args.name)

    def program() -> None:
        pulumi.runtime.register_resource_transform(look)
        bucket = aws.s3.Bucket("b", region="eu-west-1", tags={"site": "paris"})
        # An input still unknown at preview stays unknown through the transform.
        aws.s3.BucketVersioning(
            "v", bucket=bucket.id, versioning_configuration={"status": "Enabled"}
        )

    recording = _run(program)
    assert seen == ["b", "v"]
    assert recording.named("b").inputs == {"region": "eu-west-1", "tags": {"site": "paris"}}
    versioning = recording.named("v")
    assert versioning.inputs["bucket"] == UNKNOWN
    assert versioning.inputs["versioningConfiguration"] == {"status": "Enabled"}


def test_resource_transforms_reach_the_children_of_a_component() -> None:
    class Site(pulumi.ComponentResource):
        def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
            super().__init__("test:index:Site", name, None, opts)
            inner = pulumi.ComponentResource(
                "test:index:Inner", f"{name}-inner", None, pulumi.ResourceOptions(parent=self)
            )
            aws.s3.Bucket(
                f"{name}-data", region="eu-west-1", opts=pulumi.ResourceOptions(parent=inner)
            )

    def program() -> None:
        Site("site", pulumi.ResourceOptions(transforms=[_to_us_east_1]))
        aws.s3.Bucket("outside", region="eu-west-1")

    recording = _run(program)
    assert recording.named("site-data").inputs["region"] == "us-east-1"
    assert recording.named("outside").inputs["region"] == "eu-west-1"


def test_order_is_own_then_parents_then_stack_in_registration_order() -> None:
    order: list[str] = []

    def tagging(label: str) -> pulumi.ResourceTransform:
        def transform(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
            if args.type_ != "aws:s3/bucket:Bucket":
                return None
            order.append(label)
            tags: dict[str, str] = dict(cast(dict[str, str], args.props.get("tags") or {}))
            tags["trail"] = f"{tags.get('trail', '')}/{label}"
            return pulumi.ResourceTransformResult({**args.props, "tags": tags}, args.opts)

        return transform

    def program() -> None:
        pulumi.runtime.register_resource_transform(tagging("stack1"))
        pulumi.runtime.register_resource_transform(tagging("stack2"))
        outer = pulumi.ComponentResource(
            "test:index:Outer", "outer", None, pulumi.ResourceOptions(transforms=[tagging("outer")])
        )
        inner = pulumi.ComponentResource(
            "test:index:Inner",
            "inner",
            None,
            pulumi.ResourceOptions(parent=outer, transforms=[tagging("inner")]),
        )
        aws.s3.Bucket(
            "b",
            opts=pulumi.ResourceOptions(
                parent=inner, transforms=[tagging("own1"), tagging("own2")]
            ),
        )

    recording = _run(program)
    expected = ["own1", "own2", "inner", "outer", "stack1", "stack2"]
    assert order == expected
    assert recording.named("b").inputs["tags"] == {"trail": "/" + "/".join(expected)}


def test_async_transform() -> None:
    async def later(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult:
        await asyncio.sleep(0)
        return _to_us_east_1(args)

    def program() -> None:
        pulumi.runtime.register_resource_transform(later)
        aws.s3.Bucket("b", region="eu-west-1")

    assert _run(program).named("b").inputs["region"] == "us-east-1"


def test_failing_transform_names_itself_and_the_resource() -> None:
    def broken(args: pulumi.ResourceTransformArgs) -> None:
        raise ValueError("no such site")

    def program() -> None:
        pulumi.runtime.register_resource_transform(broken)
        aws.s3.Bucket("b")

    with pytest.raises(Exception, match=r"broken failed on aws:s3/bucket:Bucket 'b'.*no such site"):
        _run(program)


def test_old_transformations_still_run_in_the_sdk() -> None:
    def to_us(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult:
        return pulumi.ResourceTransformationResult({**args.props, "region": "us-east-1"}, args.opts)

    def program() -> None:
        aws.s3.Bucket("b", region="eu-west-1", opts=pulumi.ResourceOptions(transformations=[to_us]))

    assert _run(program).named("b").inputs["region"] == "us-east-1"


def test_transform_keeps_property_values_known_in_an_update() -> None:
    def program() -> None:
        pulumi.runtime.register_resource_transform(_to_us_east_1)
        bucket = aws.s3.Bucket("b", region="eu-west-1")
        aws.s3.BucketVersioning(
            "v", bucket=bucket.id, versioning_configuration={"status": "Enabled"}
        )

    recording = _run(program, preview=False)
    versioning = recording.named("v")
    assert versioning.inputs["bucket"] == recording.named("b").id
    assert versioning.inputs["region"] == "us-east-1"


def test_secret_inputs_pass_through_a_transform() -> None:
    def program() -> None:
        pulumi.runtime.register_resource_transform(lambda args: None)
        aws.s3.BucketPolicy("p", bucket="data", policy=pulumi.Output.secret('{"Statement": []}'))

    assert _run(program).named("p").inputs["policy"] == '{"Statement": []}'
