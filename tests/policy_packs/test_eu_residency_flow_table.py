"""The reviewed flow table of data-flow-destination-allowed is true to the installed SDKs.

A stale type token or property silently never applies (pulumi-aws v7 renamed S3 types), so every
entry must name a resource type and an input property that exist, and the generated section must be
what the generator makes of the installed SDKs today.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import inspect
import json
from types import ModuleType
from typing import Any

import pytest

from tests.modules import module_from_file
from tests.policy_packs.conftest import EU_RESIDENCY_DIR

TABLE: dict[str, Any] = json.loads((EU_RESIDENCY_DIR / "flow_table.json").read_text())
KINDS = {"flow", "bucket", "region", "harmless"}


@functools.cache
def generator() -> ModuleType:
    return module_from_file(
        "generate_flow_table", EU_RESIDENCY_DIR / "tools" / "generate_flow_table.py"
    )


@functools.cache
def sdk_inputs() -> dict[str, list[str]]:
    scanned: dict[str, list[str]] = generator().scan()
    return scanned


def test_generated_section_is_current() -> None:
    assert TABLE["generated"] == generator().generate(sdk_inputs()), (
        "rerun tools/generate_flow_table.py and review the diff"
    )


def test_the_generator_sees_both_sdks() -> None:
    tokens = sdk_inputs()
    assert sum(t.startswith("aws:") for t in tokens) > 1000
    assert sum(t.startswith("azure-native:") for t in tokens) > 1000
    assert "s3BucketName" in tokens["aws:cloudtrail/trail:Trail"]


def _init_inputs(resource: type) -> list[str]:
    """A resource class's input names, camelCase as the engine sends them."""
    params = inspect.signature(resource._internal_init).parameters  # type: ignore[attr-defined]
    return [
        "".join([p.split("_")[0], *(w.title() for w in p.split("_")[1:])])
        for p in params
        if p not in ("__self__", "resource_name", "opts", "__props__")
    ]


def _gcp_inputs(token: str) -> list[str]:
    """A pulumi-gcp type's input names (camelCase, as the engine sends them); the generator scans
    only the AWS and Azure SDKs, whose tables it writes."""
    module_path, name = token.split(":")[1].split("/", maxsplit=1)[0], token.rsplit(":", 1)[-1]
    resource = getattr(importlib.import_module(f"pulumi_gcp.{module_path}"), name)
    return _init_inputs(resource)


def _classic_azure_inputs(token: str) -> list[str]:
    """A pulumi-azure (classic) type's input names: ``azure:network/localNetworkGateway:...`` is
    ``pulumi_azure.network.LocalNetworkGateway``."""
    module, name = token.split(":")[1].split("/", maxsplit=1)[0], token.rsplit(":", 1)[-1]
    resource = getattr(importlib.import_module(f"pulumi_azure.{module}"), name)
    return _init_inputs(resource)


def _kubernetes_inputs(token: str) -> list[str]:
    """A pulumi-kubernetes type's input names: ``kubernetes:helm.sh/v3:Release`` is
    ``pulumi_kubernetes.helm.v3.Release``."""
    group, name = token.split(":")[1], token.rsplit(":", 1)[-1]
    module = ".".join(part.split(".")[0] for part in group.split("/"))
    resource = getattr(importlib.import_module(f"pulumi_kubernetes.{module}"), name)
    return _init_inputs(resource)


@pytest.mark.parametrize("section", ["generated", "reviewed"])
def test_every_entry_names_an_existing_type_and_input(section: str) -> None:
    inputs = sdk_inputs()
    for token, entries in TABLE[section].items():
        if token == "*":
            continue
        if token.startswith("gcp:"):
            inputs[token] = _gcp_inputs(token)
        if token in TABLE.get("customResources", {}):
            # A custom resource (a CRD's kind) has no SDK class; the table names the document
            # its paths come from, and every path is under the object's spec.
            assert token.startswith("kubernetes:"), token
            assert TABLE["customResources"][token].startswith("https://"), token
            inputs[token] = ["spec"]
        elif token.startswith("kubernetes:"):
            inputs[token] = _kubernetes_inputs(token)
        if token.startswith("azure:"):
            inputs[token] = _classic_azure_inputs(token)
        assert token in inputs, f"{section}: {token} is not a resource type of the installed SDKs"
        for path, kind in entries.items():
            assert kind in KINDS, f"{token}.{path}: unknown kind {kind!r}"
            assert path.split(".")[0] in inputs[token], f"{token} has no input {path!r}"


def test_wildcard_entries_are_inputs_of_some_type() -> None:
    everywhere = {p for props in sdk_inputs().values() for p in props}
    for path, kind in TABLE["reviewed"]["*"].items():
        assert kind in KINDS, path
        assert path in everywhere, f"no resource type has an input {path!r}"


def test_skipped_types_exist() -> None:
    for token in TABLE["skippedTypes"]:
        assert token in sdk_inputs(), token


@pytest.mark.parametrize(
    ("token", "prop", "kind"),
    [
        ("aws:cloudtrail/trail:Trail", "s3BucketName", "bucket"),
        ("aws:cloudtrail/trail:Trail", "cloudWatchLogsGroupArn", "flow"),
        ("aws:cloudtrail/trail:Trail", "cloudWatchLogsRoleArn", "harmless"),
        ("aws:ec2/flowLog:FlowLog", "logDestination", "flow"),
        ("aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter", "destinationArn", "flow"),
        ("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", "destination", "flow"),
        ("aws:cloudwatch/eventTarget:EventTarget", "arn", "flow"),
        ("aws:sns/topicSubscription:TopicSubscription", "endpoint", "flow"),
        ("aws:lambda/eventSourceMapping:EventSourceMapping", "eventSourceArn", "flow"),
        ("azure-native:monitor:DiagnosticSetting", "workspaceId", "flow"),
        ("azure-native:monitor:DiagnosticSetting", "storageAccountId", "flow"),
        ("azure-native:sql:FailoverGroup", "partnerServers", "flow"),
        ("azure-native:eventgrid:EventSubscription", "destination", "flow"),
    ],
)
def test_the_doors_of_the_issue_are_flows(token: str, prop: str, kind: str) -> None:
    assert TABLE["reviewed"].get(token, {}).get(prop, TABLE["generated"][token].get(prop)) == kind
