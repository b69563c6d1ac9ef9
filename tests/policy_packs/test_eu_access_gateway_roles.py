"""``aws-data-readers-are-gateway-roles`` over the analyzer protocol (``AnalyzeStack``): identities
people use read data only as gateway roles whose read statements carry the endpoint and region
conditions."""

from __future__ import annotations

import json
from typing import Any, Final

import pytest

from clover.analyzer import UNKNOWN, AnalyzedResource, PolicyPack

from .conftest import eu_aws_provider, eu_resource

RULE: Final = "aws-data-readers-are-gateway-roles"
ROLE: Final = "aws:iam/role:Role"
ROLE_POLICY: Final = "aws:iam/rolePolicy:RolePolicy"
ATTACH: Final = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
DUBLIN: Final = eu_aws_provider("eu-west-1")
OPERATORS: Final = "arn:aws:iam::123456789012:role/operators"
ENDPOINT: Final = "vpce-0a1b2c3d4e5f60718"
GATEWAY: Final = {"aws:SourceVpce": ENDPOINT, "aws:RequestedRegion": "eu-west-1"}


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: Any, condition: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": action, "Resource": "*", **extra}
    if condition:
        statement["Condition"] = {"StringEquals": condition}
    return statement


def trust(principal: Any) -> str:
    return document({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"})


def role(
    name: str = "reader", principal: Any = None, gateway: bool = False, **props: Any
) -> AnalyzedResource:
    tags = {"access-gateway": "true"} if gateway else {}
    return eu_resource(
        ROLE,
        name,
        {
            "name": name,
            "assumeRolePolicy": trust(principal or {"AWS": OPERATORS}),
            "tags": tags,
            **props,
        },
        provider=DUBLIN,
    )


def role_policy(policy: Any, role_ref: Any = "reader", name: str = "reads") -> AnalyzedResource:
    return eu_resource(ROLE_POLICY, name, {"role": role_ref, "policy": policy}, provider=DUBLIN)


def attach(arn: Any, role_ref: Any = "reader", name: str = "attached") -> AnalyzedResource:
    return eu_resource(ATTACH, name, {"role": role_ref, "policyArn": arn}, provider=DUBLIN)


def blocked(pack: PolicyPack, *resources: AnalyzedResource) -> list[str]:
    found = [d for d in pack.analyze_stack(list(resources)) if d.policy == RULE]
    for d in found:
        assert d.enforcement_level == "mandatory", d.message
    return sorted(d.urn.rsplit("::", 1)[-1] for d in found)


def message(pack: PolicyPack, *resources: AnalyzedResource) -> str:
    return "\n".join(d.message for d in pack.analyze_stack(list(resources)) if d.policy == RULE)


# -- who is a person -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "principal",
    [
        {"AWS": OPERATORS},
        {"AWS": "123456789012"},
        {"Federated": "arn:aws:iam::123456789012:saml-provider/corp"},
        "*",
    ],
)
def test_a_role_people_assume_may_not_read_data_unless_a_gateway(
    eu_access: PolicyPack, principal: Any
) -> None:
    resources = (role(principal=principal), role_policy(document(allow("s3:GetObject"))))
    assert blocked(eu_access, *resources) == ["reader"]
    assert "not a gateway role" in message(eu_access, *resources)


def test_a_role_only_services_assume_is_the_applications_own(eu_access: PolicyPack) -> None:
    service = role(principal={"Service": "lambda.amazonaws.com"})
    assert blocked(eu_access, service, role_policy(document(allow("s3:*")))) == []
    assert blocked(eu_access, service, attach("arn:aws:iam::aws:policy/AdministratorAccess")) == []


def test_unknown_trust_is_a_persons(eu_access: PolicyPack) -> None:
    unknown = role(assumeRolePolicy=UNKNOWN)
    assert blocked(eu_access, unknown, role_policy(document(allow("kms:Decrypt")))) == ["reader"]
    assert "trust policy cannot be read" in message(
        eu_access, unknown, role_policy(document(allow("kms:Decrypt")))
    )


def test_metadata_is_not_data(eu_access: PolicyPack) -> None:
    listing = document(allow(["s3:ListBucket", "kms:DescribeKey", "dynamodb:DescribeTable"]))
    assert blocked(eu_access, role(), role_policy(listing)) == []
    denied = document({"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"})
    assert blocked(eu_access, role(), role_policy(denied)) == []


# -- the gateway's conditions ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("statement", "passes"),
    [
        (allow("s3:GetObject", GATEWAY), True),
        (
            allow("s3:Get*", {"aws:SourceVpc": "vpc-0a1b2c3d", "aws:RequestedRegion": "eu-west-1"}),
            True,
        ),
        (allow("s3:GetObject", {"aws:SourceVpce": ENDPOINT}), False),
        (allow("s3:GetObject", {"aws:RequestedRegion": "eu-west-1"}), False),
        (allow("s3:GetObject", {**GATEWAY, "aws:RequestedRegion": "us-east-1"}), False),
        (allow("s3:GetObject", {**GATEWAY, "aws:SourceVpce": "vpce-*"}), False),
        (
            allow(
                "s3:GetObject",
                {"aws:VpcSourceIp": "10.0.0.0/8", "aws:RequestedRegion": "eu-west-1"},
            ),
            False,
        ),
        (allow("*"), False),
        (
            allow(
                ["kms:Decrypt"],
                {
                    "kms:ViaService": "s3.eu-west-1.amazonaws.com",
                    "aws:RequestedRegion": "eu-west-1",
                },
            ),
            True,
        ),
        (
            allow(
                ["kms:Decrypt"],
                {
                    "kms:ViaService": "s3.us-east-1.amazonaws.com",
                    "aws:RequestedRegion": "eu-west-1",
                },
            ),
            False,
        ),
        # kms:ViaService bounds key use only: with an object read in the statement it is not enough.
        (
            allow(
                ["kms:Decrypt", "s3:GetObject"],
                {
                    "kms:ViaService": "s3.eu-west-1.amazonaws.com",
                    "aws:RequestedRegion": "eu-west-1",
                },
            ),
            False,
        ),
        ({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}, False),
    ],
)
def test_a_gateway_roles_reads_carry_endpoint_and_region(
    eu_access: PolicyPack, statement: dict[str, Any], passes: bool
) -> None:
    resources = (role(gateway=True), role_policy(document(statement)))
    assert blocked(eu_access, *resources) == ([] if passes else ["reader"])


def test_the_message_names_what_is_missing(eu_access: PolicyPack) -> None:
    resources = (role(gateway=True), role_policy(document(allow("s3:GetObject"))))
    text = message(eu_access, *resources)
    assert "aws:SourceVpce (or aws:SourceVpc) of the site's network" in text
    assert "aws:RequestedRegion naming only the stack's regions (eu-west-1)" in text


def test_a_listed_gateway_role(eu_access: PolicyPack) -> None:
    resources = (role(), role_policy(document(allow("s3:GetObject", GATEWAY))))
    assert blocked(eu_access, *resources) == ["reader"]
    eu_access.configure({RULE: {"gatewayRoleArns": ["arn:aws:iam::123456789012:role/reader"]}})
    assert blocked(eu_access, *resources) == []


def test_an_endpoint_id_the_check_computed_from_the_stack_counts(eu_access: PolicyPack) -> None:
    """The site's endpoint id is an output: the check computes the stand-in of the stack's own
    endpoint (``id.<digest>.stand-in.invalid``), which names an in-stack resource."""
    endpoint = eu_resource("aws:ec2/vpcEndpoint:VpcEndpoint", "s3", {}, provider=DUBLIN)
    # The document holds the endpoint's id, an output: unknown at preview as a whole.
    policy = role_policy(UNKNOWN)
    gateway = role(gateway=True)
    assert blocked(eu_access, gateway, endpoint, policy) == ["reader"]
    computed = {
        "inputs": {
            policy.urn: {
                "policy": document(
                    allow(
                        "s3:GetObject",
                        {
                            "aws:SourceVpce": "id.0123456789abcdef.stand-in.invalid",
                            "aws:RequestedRegion": "eu-west-1",
                        },
                    )
                )
            }
        },
        "standIns": {"0123456789abcdef": endpoint.urn},
    }
    eu_access.configure({RULE: {"computedValues": computed}})
    assert blocked(eu_access, gateway, endpoint, policy) == []


# -- where permissions come from -------------------------------------------------------------------


def test_users_and_groups_never_read_data(eu_access: PolicyPack) -> None:
    user = eu_resource("aws:iam/user:User", "alice", {"name": "alice"}, provider=DUBLIN)
    user_policy = eu_resource(
        "aws:iam/userPolicy:UserPolicy",
        "alice-reads",
        {"user": "alice", "policy": document(allow("s3:GetObject", GATEWAY))},
        provider=DUBLIN,
    )
    assert blocked(eu_access, user, user_policy) == ["alice"]
    assert "to an IAM user" in message(eu_access, user, user_policy)
    group = eu_resource("aws:iam/group:Group", "analysts", {"name": "analysts"}, provider=DUBLIN)
    readers = eu_resource(
        "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
        "analysts-s3",
        {"group": "analysts", "policyArn": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"},
        provider=DUBLIN,
    )
    assert blocked(eu_access, group, readers) == ["analysts"]
    harmless = eu_resource(
        "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
        "analysts-ec2",
        {"group": "analysts", "policyArn": "arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess"},
        provider=DUBLIN,
    )
    assert blocked(eu_access, group, harmless) == []


def test_aws_managed_policies_that_read_data(eu_access: PolicyPack) -> None:
    admin = attach("arn:aws:iam::aws:policy/AdministratorAccess")
    assert blocked(eu_access, role(gateway=True), admin) == ["reader"]
    assert "AWS managed policy AdministratorAccess" in message(eu_access, role(gateway=True), admin)
    scientist = attach("arn:aws:iam::aws:policy/job-function/DataScientist")
    assert blocked(eu_access, role(), scientist) == ["reader"]


def test_in_stack_managed_policies_are_read(eu_access: PolicyPack) -> None:
    policy = eu_resource(
        "aws:iam/policy:Policy",
        "reads",
        {"name": "reads", "policy": document(allow("secretsmanager:GetSecretValue"))},
        provider=DUBLIN,
    )
    by_name = attach("arn:aws:iam::123456789012:policy/reads")
    assert blocked(eu_access, role(), policy, by_name) == ["reader"]
    proven = attach(UNKNOWN)
    eu_access.configure({RULE: {"provenOutputs": {proven.urn: {"policyArn": f"{policy.urn}#arn"}}}})
    assert blocked(eu_access, role(), policy, proven) == ["reader"]
    harmless = eu_resource(
        "aws:iam/policy:Policy",
        "reads",
        {"name": "reads", "policy": document(allow("s3:ListAllMyBuckets"))},
        provider=DUBLIN,
    )
    assert blocked(eu_access, role(), harmless, proven) == []


@pytest.mark.parametrize(
    ("arn", "says"),
    [
        ("arn:aws:iam::210987654321:policy/elsewhere", "not a policy of this stack"),
        (UNKNOWN, "unknown at preview"),
    ],
)
def test_unseen_permissions_on_a_persons_role_fail_closed(
    eu_access: PolicyPack, arn: Any, says: str
) -> None:
    assert blocked(eu_access, role(), attach(arn)) == ["reader"]
    assert says in message(eu_access, role(), attach(arn))


def test_inline_and_native_policies(eu_access: PolicyPack) -> None:
    inline = role(inlinePolicies=[{"name": "r", "policy": document(allow("dynamodb:Query"))}])
    assert blocked(eu_access, inline) == ["reader"]
    native = eu_resource(
        "aws-native:iam:Role",
        "native",
        {
            "roleName": "native",
            "assumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"AWS": OPERATORS}, "Action": "sts:AssumeRole"}
                ],
            },
            "policies": [
                {
                    "policyName": "r",
                    "policyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [allow("s3:GetObject")],
                    },
                }
            ],
        },
        provider=DUBLIN,
    )
    assert blocked(eu_access, native) == ["native"]


def test_a_policy_on_a_role_the_stack_does_not_define(eu_access: PolicyPack) -> None:
    """Its trust cannot be seen: a read granted to it fails closed, nothing else is judged."""
    outside = role_policy(document(allow("s3:GetObject")), role_ref="existing-role")
    found = [d for d in eu_access.analyze_stack([outside]) if d.policy == RULE]
    assert len(found) == 1
    assert "not a role of this stack" in found[0].message
    assert "'existing-role'" in found[0].message
    listing = role_policy(document(allow("s3:ListBucket")), role_ref="existing-role")
    assert blocked(eu_access, listing) == []


def test_an_attachment_proven_to_name_a_service_role(eu_access: PolicyPack) -> None:
    service = role(principal={"Service": "lambda.amazonaws.com"})
    policy = role_policy(document(allow("s3:GetObject")), role_ref=UNKNOWN)
    assert len([d for d in eu_access.analyze_stack([service, policy]) if d.policy == RULE]) == 1
    eu_access.configure({RULE: {"provenOutputs": {policy.urn: {"role": f"{service.urn}#id"}}}})
    assert blocked(eu_access, service, policy) == []


def test_a_condition_proven_to_hold_the_stacks_own_endpoint_id(eu_access: PolicyPack) -> None:
    """A document given as an object keeps each output where it is: the check proves the
    condition value is exactly the id of the stack's endpoint (or VPC), not of anything else."""
    endpoint = eu_resource("aws-native:ec2:VpcEndpoint", "secrets", {}, provider=DUBLIN)
    bucket = eu_resource("aws:s3/bucket:Bucket", "b", {}, provider=DUBLIN)
    statement = allow("secretsmanager:GetSecretValue", {**GATEWAY, "aws:SourceVpce": UNKNOWN})
    policy = role_policy({"Version": "2012-10-17", "Statement": [statement]})
    path = "policy.Statement[0].Condition.StringEquals.aws:SourceVpce"
    resources = (role(gateway=True), endpoint, bucket, policy)
    assert blocked(eu_access, *resources) == ["reader"]
    eu_access.configure({RULE: {"provenOutputs": {policy.urn: {path: f"{endpoint.urn}#id"}}}})
    assert blocked(eu_access, *resources) == []
    eu_access.configure({RULE: {"provenOutputs": {policy.urn: {path: f"{bucket.urn}#id"}}}})
    assert blocked(eu_access, *resources) == ["reader"]


# -- grants in the data stores' resource policies --------------------------------------------------


def bucket_policy(*statements: dict[str, Any]) -> AnalyzedResource:
    return eu_resource(
        "aws:s3/bucketPolicy:BucketPolicy",
        "data",
        {"bucket": "acme-data", "policy": document(*statements)},
        provider=DUBLIN,
    )


def grant(principal: Any, condition: dict[str, Any] | None = None) -> dict[str, Any]:
    return allow("s3:GetObject", condition, Principal={"AWS": principal})


READER_ARN: Final = "arn:aws:iam::123456789012:role/reader"


@pytest.mark.parametrize(
    ("principal", "says"),
    [
        (READER_ARN, "not a gateway role"),
        ("arn:aws:sts::123456789012:assumed-role/reader/alice", "not a gateway role"),
        ("arn:aws:iam::123456789012:user/alice", "to an IAM user"),
        ("arn:aws:iam::123456789012:role/existing", "not a role of this stack"),
    ],
)
def test_a_resource_policy_grant_to_a_person_is_judged_as_their_own(
    eu_access: PolicyPack, principal: str, says: str
) -> None:
    """Within one account a resource policy alone lets its principal read: a grant there to a
    person's role, or to a user, needs the gateway as much as one in their own policies."""
    resources = (role(), bucket_policy(grant(principal)))
    found = [d for d in eu_access.analyze_stack(list(resources)) if d.policy == RULE]
    assert len(found) == 1, [d.message for d in found]
    assert says in found[0].message
    assert "aws:s3/bucketPolicy:BucketPolicy data (resource policy)" in found[0].message


def test_a_resource_policy_grant_to_a_service_role_or_a_gateway(eu_access: PolicyPack) -> None:
    service = role(principal={"Service": "lambda.amazonaws.com"})
    assert blocked(eu_access, service, bucket_policy(grant(READER_ARN))) == []
    gateway = role(gateway=True)
    assert blocked(eu_access, gateway, bucket_policy(grant(READER_ARN, GATEWAY))) == []
    assert blocked(eu_access, gateway, bucket_policy(grant(READER_ARN))) == ["reader"]
    # Accounts and everyone are the resource-policy rule's to judge, not this one's.
    root = "arn:aws:iam::123456789012:root"
    assert blocked(eu_access, bucket_policy(grant(root), grant("*"))) == []


def test_a_resource_policy_grant_to_an_autonamed_role_of_the_stack(eu_access: PolicyPack) -> None:
    """The stand-in names an autonamed role by its logical name, as its ARN then reads."""
    person = eu_resource(
        ROLE,
        "support",
        {"assumeRolePolicy": trust({"AWS": OPERATORS})},
        provider=DUBLIN,
    )
    policy = bucket_policy(grant("arn:aws:iam::123456789012:role/support"))
    assert blocked(eu_access, person, policy) == ["support"]


# -- workloads are not people ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("principal", "person"),
    [
        # Kubernetes service accounts (IRSA), CI jobs: OIDC providers are workloads' doors.
        (
            {
                "Federated": (
                    "arn:aws:iam::123456789012:oidc-provider/"
                    "oidc.eks.eu-west-1.amazonaws.com/id/AB12"
                )
            },
            False,
        ),
        ({"Federated": "cognito-identity.amazonaws.com"}, False),
        # The workforce's single sign-on.
        ({"Federated": "arn:aws:iam::123456789012:saml-provider/corp"}, True),
        ({"Federated": "login.example.com"}, True),  # unknown: fail closed
    ],
)
def test_who_signs_in_through_a_federated_principal(
    eu_access: PolicyPack, principal: Any, person: bool
) -> None:
    resources = (role(principal=principal), role_policy(document(allow("s3:GetObject"))))
    assert blocked(eu_access, *resources) == (["reader"] if person else [])


def test_an_in_stack_identity_provider_says_who_signs_in(eu_access: PolicyPack) -> None:
    oidc = eu_resource(
        "aws:iam/openIdConnectProvider:OpenIdConnectProvider", "eks", {}, provider=DUBLIN
    )
    saml = eu_resource("aws:iam/samlProvider:SamlProvider", "corp", {}, provider=DUBLIN)
    reads = role_policy(document(allow("s3:GetObject")))
    for provider, person in ((oidc, False), (saml, True)):
        federated = role(assumeRolePolicy=UNKNOWN)
        computed = {
            "inputs": {
                federated.urn: {
                    "assumeRolePolicy": trust(
                        {"Federated": "arn.00112233445566ff.stand-in.invalid"}
                    )
                }
            },
            "standIns": {"00112233445566ff": provider.urn},
        }
        eu_access.configure({RULE: {"computedValues": computed}})
        assert blocked(eu_access, provider, federated, reads) == (["reader"] if person else [])


def test_a_role_only_a_service_role_of_the_stack_assumes(eu_access: PolicyPack) -> None:
    """Role chaining by the application (a function's role assuming a data role) is no person."""
    service = role("handler", principal={"Service": "lambda.amazonaws.com"})
    chained = role(principal={"AWS": "arn:aws:iam::123456789012:role/handler"})
    reads = role_policy(document(allow("s3:GetObject")))
    assert blocked(eu_access, service, chained, reads) == []
    person = role("handler", principal={"AWS": OPERATORS})
    assert blocked(eu_access, person, chained, reads) == ["reader"]


def test_roles_outside_the_stack_declared_as_workloads_or_gateways(eu_access: PolicyPack) -> None:
    reporting = "arn:aws:iam::123456789012:role/reporting"
    policy = bucket_policy(grant(reporting))
    assert len([d for d in eu_access.analyze_stack([policy]) if d.policy == RULE]) == 1
    eu_access.configure({RULE: {"workloadRoleArns": [reporting]}})
    assert [d for d in eu_access.analyze_stack([policy]) if d.policy == RULE] == []
    eu_access.configure({RULE: {"gatewayRoleArns": [reporting]}})
    assert len([d for d in eu_access.analyze_stack([policy]) if d.policy == RULE]) == 1
    conditioned = bucket_policy(grant(reporting, GATEWAY))
    assert [d for d in eu_access.analyze_stack([conditioned]) if d.policy == RULE] == []


def test_a_web_identity_trust_is_a_workloads_whoever_the_provider(eu_access: PolicyPack) -> None:
    """``sts:AssumeRoleWithWebIdentity`` takes an OIDC token (a Kubernetes service account, a CI
    job, an app's user), never a SAML assertion: the provider may be another stack's output."""
    irsa = role(
        assumeRolePolicy=document(
            {
                "Effect": "Allow",
                "Principal": {"Federated": "stackref-oidc.0123456789abcdef.stand-in.invalid"},
                "Action": "sts:AssumeRoleWithWebIdentity",
            }
        )
    )
    reads = role_policy(document(allow("sqs:ReceiveMessage")))
    assert blocked(eu_access, irsa, reads) == []
    saml = role(
        assumeRolePolicy=document(
            {
                "Effect": "Allow",
                "Principal": {"Federated": "stackref-idp.0123456789abcdef.stand-in.invalid"},
                "Action": ["sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity"],
            }
        )
    )
    assert blocked(eu_access, saml, reads) == ["reader"]


def test_a_grant_to_another_kind_of_stack_output_is_not_judged_here(eu_access: PolicyPack) -> None:
    """An origin access identity's IAM ARN (an output of the stack that names no identity of
    it) is the resource-policy rule's to judge."""
    oai = eu_resource(
        "aws:cloudfront/originAccessIdentity:OriginAccessIdentity", "oai", {}, provider=DUBLIN
    )
    policy = bucket_policy(grant("iamarn.0123456789abcdef.stand-in.invalid"))
    eu_access.configure({RULE: {"computedValues": {"standIns": {"0123456789abcdef": oai.urn}}}})
    assert [d for d in eu_access.analyze_stack([oai, policy]) if d.policy == RULE] == []
