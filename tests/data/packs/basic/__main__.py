"""A tiny pack for the analyzer harness tests: every policy reports what it was sent."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError


def plain(value: Any) -> Any:
    """Copy a proxied property bag, spelling unknowns as ``<unknown>``."""
    if isinstance(value, Mapping):
        out = {}
        for key in value:
            try:
                out[key] = plain(value[key])
            except UnknownValueError:
                out[key] = "<unknown>"
        return out
    if isinstance(value, Sequence) and not isinstance(value, str):
        items = []
        for i in range(len(value)):
            try:
                items.append(plain(value[i]))
            except UnknownValueError:
                items.append("<unknown>")
        return items
    return value


def forbid_color(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != "test:index:Bucket":
        return
    config = args.get_config()
    if args.props.get("color") == config.get("forbiddenColor"):
        report(
            f"color {args.props.get('color')} is forbidden; config={json.dumps(dict(config))}", None
        )


def echo(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != "test:index:Echo":
        return
    provider = args.provider
    report(
        json.dumps(
            {
                "urn": args.urn,
                "name": args.name,
                "props": plain(args.props),
                "protect": args.opts.protect,
                "parent": args.opts.parent,
                "provider": None
                if provider is None
                else {
                    "type": provider.resource_type,
                    "name": provider.name,
                    "urn": provider.urn,
                    "props": plain(provider.props),
                },
            },
            sort_keys=True,
        ),
        None,
    )


def read_unknown(args: ResourceValidationArgs, report: ReportViolation) -> None:
    # Left to the SDK on purpose: reading an unknown raises UnknownValueError, reported as ADVISORY.
    if args.resource_type == "test:index:Bucket" and args.props.get("size") == 0:
        report("empty bucket", None)


def stack_echo(args: StackValidationArgs, report: ReportViolation) -> None:
    for r in args.resources:
        if r.resource_type != "test:index:Echo":
            continue
        report(
            json.dumps(
                {
                    "parent": r.parent.urn if r.parent else None,
                    "dependencies": [d.urn for d in r.dependencies],
                    "propertyDependencies": {
                        k: [d.urn for d in v] for k, v in r.property_dependencies.items()
                    },
                    "count": len(args.resources),
                },
                sort_keys=True,
            ),
            r.urn,
        )


PolicyPack(
    name="harness-basic",
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=[
        ResourceValidationPolicy(
            name="test-bucket-color-forbidden",
            description="Buckets must not have the forbidden color.",
            validate=forbid_color,
            enforcement_level=EnforcementLevel.MANDATORY,
            severity=Severity.HIGH,
            remediation_steps="Paint the bucket another color.",
            config_schema=PolicyConfigSchema(
                properties={
                    "forbiddenColor": {"type": "string", "default": "red"},
                    "maxSize": {"type": "integer", "minimum": 0, "default": 10},
                    "labels": {"type": "array", "items": {"type": "string"}, "default": []},
                },
            ),
        ),
        ResourceValidationPolicy(
            name="test-echo",
            description="Reports what the analyzer was sent for test:index:Echo resources.",
            validate=echo,
        ),
        ResourceValidationPolicy(
            name="test-bucket-size-unknown",
            description="Reads a possibly unknown size without catching UnknownValueError.",
            validate=read_unknown,
            severity=Severity.LOW,
        ),
        StackValidationPolicy(
            name="test-stack-echo",
            description="Reports the stack graph the analyzer was sent.",
            validate=stack_echo,
            severity=Severity.CRITICAL,
        ),
    ],
)
