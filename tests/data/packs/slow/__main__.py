"""A pack whose only validator takes far longer than the harness is told to wait."""

from __future__ import annotations

import time

from pulumi_policy import (
    EnforcementLevel,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)


def stall(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type == "test:index:Slow":
        time.sleep(30)


PolicyPack(
    name="slow",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[
        ResourceValidationPolicy(
            name="slow-validator",
            description="Takes 30 seconds on test:index:Slow.",
            validate=stall,
        )
    ],
)
