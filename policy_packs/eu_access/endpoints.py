"""Every VPC endpoint has a policy of its own: the gateway's account perimeter.

A VPC endpoint without a policy gets the default one, which allows every action by every principal
of any account on every resource: a credential of another account used inside the site's network
reaches that account's resources (data leaves through the gateway), and the endpoint bounds
nothing. The policy may be inline (``policy``) or a ``VpcEndpointPolicy`` whose
``vpcEndpointId`` is the endpoint's id; what the policy grants is judged by
``aws-s3-bucket-policy-no-foreign-principals`` (``*`` narrowed by ``aws:PrincipalAccount`` to the
allowed accounts is the perimeter).
https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Final

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    Severity,
    StackValidationArgs,
)

if TYPE_CHECKING:
    from policy_packs.eu_access.access_common import (
        PROVEN_OUTPUTS,
        PROVEN_OUTPUTS_SCHEMA,
        UNKNOWN,
        plain,
        schema,
    )
    from policy_packs.eu_access.rulekit import stack_rule
else:
    from access_common import (
        PROVEN_OUTPUTS,
        PROVEN_OUTPUTS_SCHEMA,
        UNKNOWN,
        plain,
        schema,
    )
    from rulekit import stack_rule

ENDPOINT_POLICY_REQUIRED: Final = "aws-vpc-endpoint-require-policy"
ENDPOINT: Final = "aws:ec2/vpcEndpoint:VpcEndpoint"
ENDPOINT_POLICY: Final = "aws:ec2/vpcEndpointPolicy:VpcEndpointPolicy"


def _props(resource: PolicyResource) -> dict[str, Any]:
    try:
        props = plain(resource.props)
    except Exception:  # noqa: BLE001 - unreadable inputs hold no policy
        return {}
    return props if isinstance(props, dict) else {}


def _covered(stack: list[PolicyResource], config: Mapping[str, Any]) -> Iterator[str]:
    """URNs of the endpoints a ``VpcEndpointPolicy`` of the stack names: its ``vpcEndpointId`` is
    proven to be exactly the endpoint's ``id`` (unknown at preview), or the endpoint's own id."""
    proofs = config.get(PROVEN_OUTPUTS)
    ids = {_props(r).get("id"): r.urn for r in stack if r.resource_type == ENDPOINT}
    for resource in stack:
        if resource.resource_type != ENDPOINT_POLICY:
            continue
        entry = proofs.get(resource.urn) if isinstance(proofs, Mapping) else None
        proof = entry.get("vpcEndpointId") if isinstance(entry, Mapping) else None
        if isinstance(proof, str) and proof.endswith("#id"):
            yield proof[: -len("#id")]
        given = _props(resource).get("vpcEndpointId")
        if isinstance(given, str) and given in ids:
            yield ids[given]


def validate_endpoint_policy(args: StackValidationArgs, report: ReportViolation) -> None:
    config: Any = args.get_config()
    stack = list(args.resources)
    covered = set(_covered(stack, config if isinstance(config, Mapping) else {}))
    for resource in stack:
        if resource.resource_type != ENDPOINT or resource.urn in covered:
            continue
        policy = _props(resource).get("policy")
        if policy is UNKNOWN or (isinstance(policy, str) and policy.strip()):
            continue  # judged, unknown included, by aws-s3-bucket-policy-no-foreign-principals
        report(
            f"{ENDPOINT_POLICY_REQUIRED}: {ENDPOINT} {resource.name}: no endpoint policy, inline "
            "or as a VpcEndpointPolicy naming the endpoint's id, so AWS applies the default one, "
            "which lets any principal of any account do anything through it; give it a policy "
            "with the account perimeter (aws:PrincipalAccount and aws:ResourceAccount).",
            resource.urn,
        )


POLICIES: Final = [
    stack_rule(
        ENDPOINT_POLICY_REQUIRED,
        description=(
            "Every VPC endpoint has a policy (inline, or a VpcEndpointPolicy naming its id): the "
            "default endpoint policy lets any principal of any account through. Mandatory: the "
            "site's gateway bounds who reaches what."
        ),
        enforcement_level=EnforcementLevel.MANDATORY,
        severity=Severity.HIGH,
        remediation_steps=(
            "Give the endpoint a policy whose statements allow only principals and resources of "
            'the allowed accounts ("Principal": "*" with aws:PrincipalAccount and '
            "aws:ResourceAccount conditions)."
        ),
        config_schema=schema(**{PROVEN_OUTPUTS: PROVEN_OUTPUTS_SCHEMA}),
        validate=validate_endpoint_policy,
    )
]
