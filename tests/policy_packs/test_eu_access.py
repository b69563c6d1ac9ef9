"""The eu-access pack over the analyzer protocol: compliant, violating and unknown cases per rule.

The repo's own stacks pass it (``test_repo_stacks_pass_eu_access``): their site keys name
key-admin roles (``keyAdminRoleArns``) and give the account root only read actions, so
``aws-kms-key-policy-root-not-admin`` finds nothing; the gateway role trusts the listed operators
of the stacks' (placeholder) account, and the replication role and the log-delivery grants bind
their service principals with ``aws:SourceAccount``/``aws:SourceArn``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import pytest

from clover.analyzer import UNKNOWN, AnalyzedResource, Diagnostic, PolicyPack, ProviderRef
from clover.check import check

from .conftest import EU_ACCESS_DIR, eu_urn

ROOT: Final = Path(__file__).resolve().parents[2]
OWN: Final = "123456789012"
FOREIGN: Final = "999999999999"
OWN_ROLE: Final = f"arn:aws:iam::{OWN}:role/clover-gateway"
FOREIGN_ROLE: Final = f"arn:aws:iam::{FOREIGN}:role/reader"
OWN_ROOT: Final = f"arn:aws:iam::{OWN}:root"
NO_FOREIGN: Final = "aws-s3-bucket-policy-no-foreign-principals"
TRUST: Final = "aws-iam-role-trust-restricted"
ROOT_ADMIN: Final = "aws-kms-key-policy-root-not-admin"

BUCKET_POLICY: Final = "aws:s3/bucketPolicy:BucketPolicy"
KEY: Final = "aws:kms/key:Key"
KEY_POLICY: Final = "aws:kms/keyPolicy:KeyPolicy"
ROLE: Final = "aws:iam/role:Role"
RESOURCE_POLICY_TYPES: Final = (
    BUCKET_POLICY,
    "aws:s3/bucket:Bucket",
    KEY,
    KEY_POLICY,
    "aws:secretsmanager/secretPolicy:SecretPolicy",
    "aws:secretsmanager/secret:Secret",
    "aws:sqs/queuePolicy:QueuePolicy",
    "aws:sqs/queue:Queue",
    "aws:sns/topicPolicy:TopicPolicy",
    "aws:sns/topic:Topic",
)
REQUIRED_POLICY_TYPES: Final = tuple(t for t in RESOURCE_POLICY_TYPES if "Policy:" in t)
ACCOUNTS_CONFIG: Final = {
    NO_FOREIGN: {"allowedAccountIds": [OWN]},
    TRUST: {"allowedAccountIds": [OWN]},
}


def provider(**props: Any) -> ProviderRef:
    return ProviderRef(
        type="pulumi:providers:aws",
        name="dublin",
        urn=eu_urn("pulumi:providers:aws", "dublin"),
        properties={"region": "eu-west-1", **props},
    )


def statement(principal: Any = None, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
    if principal is not None:
        body["Principal"] = principal
    body.update(fields)
    return body


def document(*statements: Mapping[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def analyze(
    pack: PolicyPack,
    type_: str,
    properties: Mapping[str, Any],
    *,
    policy: str,
    provider_ref: ProviderRef | None = None,
) -> list[Diagnostic]:
    resource = AnalyzedResource(
        urn=eu_urn(type_, "subject"),
        type=type_,
        name="subject",
        properties=properties,
        provider=provider_ref or provider(),
    )
    found = [d for d in pack.analyze(resource) if d.policy == policy]
    for d in found:
        assert d.policy_pack == "eu-access"
        assert d.enforcement_level == "mandatory", d.message
        assert d.urn == resource.urn
        assert "could not be evaluated" not in d.message, d.message
    return found


@pytest.fixture
def configured(eu_access: PolicyPack) -> PolicyPack:
    eu_access.configure(ACCOUNTS_CONFIG)
    return eu_access


# -- aws-s3-bucket-policy-no-foreign-principals ----------------------------------------------------

COMPLIANT_RESOURCE_POLICY: Final = document(
    statement({"AWS": OWN_ROLE}),
    statement({"AWS": [OWN, OWN_ROOT]}, Action=["s3:ListBucket"]),
    # Deny grants nothing, whatever its principal or conditions.
    statement("*", Effect="Deny", Condition={"NotIpAddress": {"aws:VpcSourceIp": "10.0.0.0/8"}}),
    statement(
        {"Service": "logging.s3.amazonaws.com"},
        Action="s3:PutObject",
        Condition={"StringEquals": {"aws:SourceAccount": OWN}},
    ),
    statement(
        {"Service": "cloudtrail.amazonaws.com"},
        Condition={"ArnEquals": {"aws:SourceArn": f"arn:aws:cloudtrail:eu-west-1:{OWN}:trail/t"}},
    ),
    statement("*", Condition={"StringEquals": {"aws:SourceVpce": "vpce-0123456789abcdef0"}}),
)


@pytest.mark.parametrize("type_", RESOURCE_POLICY_TYPES)
def test_resource_policy_compliant_passes(configured: PolicyPack, type_: str) -> None:
    found = analyze(configured, type_, {"policy": COMPLIANT_RESOURCE_POLICY}, policy=NO_FOREIGN)
    assert found == [], [d.message for d in found]


@pytest.mark.parametrize("type_", RESOURCE_POLICY_TYPES)
def test_resource_policy_foreign_account_is_blocked(configured: PolicyPack, type_: str) -> None:
    policy = document(statement({"AWS": OWN_ROLE}), statement({"AWS": FOREIGN_ROLE}))
    found = analyze(configured, type_, {"policy": policy}, policy=NO_FOREIGN)
    assert len(found) == 1, [d.message for d in found]
    assert FOREIGN in found[0].message
    assert "subject" in found[0].message


@pytest.mark.parametrize(
    ("principal", "condition"),
    [
        ("*", None),
        ({"AWS": "*"}, None),
        ({"AWS": ["*", OWN_ROLE]}, None),
        ("*", {"IpAddress": {"aws:VpcSourceIp": "10.10.0.0/20"}}),
        ("*", {"StringEqualsIfExists": {"aws:SourceVpce": "vpce-0123456789abcdef0"}}),
        ("*", {"StringLike": {"aws:SourceVpce": "vpce-*"}}),
        ("*", {"ArnEquals": {"aws:PrincipalArn": OWN_ROLE}}),
    ],
)
def test_resource_policy_everyone_without_gateway_condition_is_blocked(
    configured: PolicyPack, principal: Any, condition: Any
) -> None:
    extra = {"Condition": condition} if condition else {}
    found = analyze(
        configured,
        BUCKET_POLICY,
        {"policy": document(statement(principal, **extra))},
        policy=NO_FOREIGN,
    )
    assert len(found) == 1, [d.message for d in found]
    assert "without a gateway condition" in found[0].message
    if condition and "IpAddress" in condition:
        assert "aws:VpcSourceIp alone is not a gateway condition" in found[0].message


@pytest.mark.parametrize(
    ("principal", "action"),
    [
        ({"AWS": OWN_ROOT}, "s3:GetObject"),
        ({"AWS": OWN}, "s3:*"),
        ({"AWS": [OWN_ROLE, OWN_ROOT]}, "*"),
        ({"AWS": OWN_ROOT}, "kms:Decrypt"),
        ({"AWS": OWN_ROOT}, "secretsmanager:GetSecretValue"),
        ({"AWS": OWN_ROOT}, "sqs:Receive*"),
    ],
)
def test_resource_policy_account_wide_read_without_gateway_is_blocked(
    configured: PolicyPack, principal: Any, action: str
) -> None:
    """The account principal stands for every identity of the account: reading data needs a
    gateway condition or the readers named."""
    policy = document(statement(principal, Action=action))
    found = analyze(configured, BUCKET_POLICY, {"policy": policy}, policy=NO_FOREIGN)
    assert len(found) == 1, [d.message for d in found]
    assert "every principal of" in found[0].message
    assert "from anywhere" in found[0].message


@pytest.mark.parametrize(
    "condition",
    [
        {"StringEquals": {"aws:SourceVpce": "vpce-0123456789abcdef0"}},
        {"ArnEquals": {"aws:PrincipalArn": [OWN_ROLE]}},
    ],
)
def test_resource_policy_account_wide_read_through_a_gateway_passes(
    configured: PolicyPack, condition: Any
) -> None:
    policy = document(statement({"AWS": OWN_ROOT}, Action="s3:GetObject", Condition=condition))
    assert analyze(configured, BUCKET_POLICY, {"policy": policy}, policy=NO_FOREIGN) == []


@pytest.mark.parametrize(
    "condition",
    [
        {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{OWN}:role/*"}},
        {"ArnEquals": {"aws:PrincipalArn": [FOREIGN_ROLE]}},
        {"NotIpAddress": {"aws:VpcSourceIp": "10.0.0.0/8"}},
    ],
)
def test_resource_policy_account_wide_read_with_a_weak_condition_is_blocked(
    configured: PolicyPack, condition: Any
) -> None:
    policy = document(statement({"AWS": OWN_ROOT}, Action="s3:GetObject", Condition=condition))
    found = analyze(configured, BUCKET_POLICY, {"policy": policy}, policy=NO_FOREIGN)
    assert len(found) == 1, [d.message for d in found]


def test_resource_policy_not_principal_counts_as_everyone(configured: PolicyPack) -> None:
    policy = document({**statement(), "NotPrincipal": {"AWS": OWN_ROLE}})
    found = analyze(configured, BUCKET_POLICY, {"policy": policy}, policy=NO_FOREIGN)
    assert len(found) == 1
    assert "NotPrincipal" in found[0].message


def test_resource_policy_gateway_role_by_principal_arn(configured: PolicyPack) -> None:
    policy = {
        "policy": document(statement("*", Condition={"ArnEquals": {"aws:PrincipalArn": OWN_ROLE}}))
    }
    assert analyze(configured, BUCKET_POLICY, policy, policy=NO_FOREIGN)
    configured.configure({NO_FOREIGN: {"allowedAccountIds": [OWN], "gatewayRoleArns": [OWN_ROLE]}})
    assert analyze(configured, BUCKET_POLICY, policy, policy=NO_FOREIGN) == []
    other = f"arn:aws:iam::{OWN}:role/other"
    cond = {"ArnEquals": {"aws:PrincipalArn": [OWN_ROLE, other]}}
    policy = {"policy": document(statement("*", Condition=cond))}
    assert len(analyze(configured, BUCKET_POLICY, policy, policy=NO_FOREIGN)) == 1


@pytest.mark.parametrize(
    "condition",
    [
        None,
        {"StringEquals": {"aws:SourceAccount": FOREIGN}},
        {"ArnLike": {"aws:SourceArn": f"arn:aws:logs:eu-west-1:{FOREIGN}:*"}},
        {"StringEquals": {"aws:SourceAccount": "*"}},
    ],
)
def test_resource_policy_unbound_service_is_blocked(configured: PolicyPack, condition: Any) -> None:
    extra = {"Condition": condition} if condition else {}
    policy = document(statement({"Service": "delivery.logs.amazonaws.com"}, **extra))
    found = analyze(configured, BUCKET_POLICY, {"policy": policy}, policy=NO_FOREIGN)
    assert len(found) == 1
    assert "confused deputy" in found[0].message


def test_resource_policy_federated_and_canonical_need_listing(configured: PolicyPack) -> None:
    canonical = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
    policy = {"policy": document(statement({"CanonicalUser": canonical}))}
    assert len(analyze(configured, BUCKET_POLICY, policy, policy=NO_FOREIGN)) == 1
    configured.configure(
        {NO_FOREIGN: {"allowedAccountIds": [OWN], "allowedPrincipals": [canonical]}}
    )
    assert analyze(configured, BUCKET_POLICY, policy, policy=NO_FOREIGN) == []


def test_resource_policy_accepts_object_and_single_statement_forms(configured: PolicyPack) -> None:
    as_object = {"Version": "2012-10-17", "Statement": statement({"AWS": OWN_ROLE})}
    assert analyze(configured, BUCKET_POLICY, {"policy": as_object}, policy=NO_FOREIGN) == []
    foreign = {"Statement": statement({"AWS": FOREIGN})}
    assert len(analyze(configured, BUCKET_POLICY, {"policy": foreign}, policy=NO_FOREIGN)) == 1


@pytest.mark.parametrize(
    ("policy", "says"),
    [
        (UNKNOWN, "unknown during preview"),
        ("{not json", "not valid JSON"),
        (json.dumps({"Version": "2012-10-17"}), "no Statement"),
        (json.dumps(["a"]), "not a JSON object"),
        (document(statement({"AWS": UNKNOWN})), "unknown during preview"),
        (document(statement(UNKNOWN)), "unknown during preview"),
        (document(statement({"AWS": OWN_ROLE}, Effect=UNKNOWN)), "unknown during preview"),
        (document(statement({"AWS": OWN_ROLE}, Effect="Maybe")), "not Allow or Deny"),
        (document(statement({"Someone": OWN_ROLE})), "unknown principal type"),
        (document(statement({"AWS": OWN_ROLE}, Condition=UNKNOWN)), "unknown during preview"),
        (
            document({"Effect": "Allow", "Principal": {"AWS": OWN_ROLE}, "Resource": "*"}),
            "neither Action nor NotAction",
        ),
    ],
)
def test_resource_policy_unknown_or_unparsable_is_blocked(
    configured: PolicyPack, policy: Any, says: str
) -> None:
    found = analyze(configured, BUCKET_POLICY, {"policy": policy}, policy=NO_FOREIGN)
    assert len(found) == 1, [d.message for d in found]
    assert says in found[0].message
    assert "fail closed" in found[0].message


@pytest.mark.parametrize("type_", REQUIRED_POLICY_TYPES)
def test_policy_resource_without_document_is_blocked(configured: PolicyPack, type_: str) -> None:
    assert len(analyze(configured, type_, {}, policy=NO_FOREIGN)) == 1


def test_inline_policy_absent_grants_nothing(configured: PolicyPack) -> None:
    assert analyze(configured, "aws:s3/bucket:Bucket", {"bucket": "b"}, policy=NO_FOREIGN) == []


@pytest.mark.parametrize("accounts", [[OWN], json.dumps([OWN])])
def test_default_accounts_come_from_the_provider(eu_access: PolicyPack, accounts: Any) -> None:
    policy = {"policy": document(statement({"AWS": OWN_ROLE}))}
    assert len(analyze(eu_access, BUCKET_POLICY, policy, policy=NO_FOREIGN)) == 1
    ref = provider(allowedAccountIds=accounts)
    assert analyze(eu_access, BUCKET_POLICY, policy, policy=NO_FOREIGN, provider_ref=ref) == []
    foreign = {"policy": document(statement({"AWS": FOREIGN_ROLE}))}
    found = analyze(eu_access, BUCKET_POLICY, foreign, policy=NO_FOREIGN, provider_ref=ref)
    assert len(found) == 1
    assert "the provider's allowedAccountIds" in found[0].message


def test_without_any_allow_list_every_account_is_foreign(eu_access: PolicyPack) -> None:
    found = analyze(
        eu_access, BUCKET_POLICY, {"policy": document(statement({"AWS": OWN}))}, policy=NO_FOREIGN
    )
    assert len(found) == 1
    assert "allowed: none" in found[0].message
    assert "set allowedAccountIds" in found[0].message


def test_rule_config_and_the_provider_account_are_both_allowed(eu_access: PolicyPack) -> None:
    """The provider deploys only into its allowedAccountIds, so the resource's own account is
    never foreign to it; the rule's list adds the accounts reviewers approved, nothing more."""
    partner = "210987654321"
    eu_access.configure({NO_FOREIGN: {"allowedAccountIds": [partner]}})
    ref = provider(allowedAccountIds=[OWN])
    for grantee in (OWN_ROLE, f"arn:aws:iam::{partner}:role/reader"):
        policy = {"policy": document(statement({"AWS": grantee}))}
        assert analyze(eu_access, BUCKET_POLICY, policy, policy=NO_FOREIGN, provider_ref=ref) == []
    foreign = {"policy": document(statement({"AWS": FOREIGN_ROLE}))}
    found = analyze(eu_access, BUCKET_POLICY, foreign, policy=NO_FOREIGN, provider_ref=ref)
    assert len(found) == 1, found
    assert FOREIGN in found[0].message
    assert "the rule's allowedAccountIds and the provider's allowedAccountIds" in found[0].message


# -- aws-iam-role-trust-restricted -----------------------------------------------------------------


def trust(*statements: Mapping[str, Any]) -> dict[str, Any]:
    return {"assumeRolePolicy": document(*statements)}


def assume(principal: Any = None, **fields: Any) -> dict[str, Any]:
    return statement(principal, Action="sts:AssumeRole", **fields)


SOURCE_BOUND: Final = {
    "StringEquals": {"aws:SourceAccount": OWN},
    "ArnLike": {"aws:SourceArn": "arn:aws:s3:::clover-dev-dublin-data"},
}


def test_trust_compliant_passes(configured: PolicyPack) -> None:
    props = trust(
        assume({"AWS": [OWN_ROLE, OWN]}),
        assume({"Service": "s3.amazonaws.com"}, Condition=SOURCE_BOUND),
        assume("*", Effect="Deny"),
    )
    assert analyze(configured, ROLE, props, policy=TRUST) == []


@pytest.mark.parametrize(
    ("principal", "condition", "says"),
    [
        ({"AWS": FOREIGN_ROLE}, None, FOREIGN),
        ({"AWS": "*"}, None, "every AWS principal"),
        ("*", None, "every AWS principal"),
        ("*", {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, "every AWS principal"),
        ("*", {"StringEquals": {"aws:PrincipalAccount": FOREIGN}}, "every AWS principal"),
        ({"Service": "s3.amazonaws.com"}, None, "confused deputy"),
        (
            {"Service": "s3.amazonaws.com"},
            {"StringEquals": {"aws:SourceAccount": FOREIGN}},
            "confused deputy",
        ),
        ({"Federated": "accounts.google.com"}, None, "allowedPrincipals"),
        ({"AWS": "AROAEXAMPLEID"}, None, "cannot be told"),
    ],
)
def test_trust_violations_are_blocked(
    configured: PolicyPack, principal: Any, condition: Any, says: str
) -> None:
    extra = {"Condition": condition} if condition else {}
    found = analyze(configured, ROLE, trust(assume(principal, **extra)), policy=TRUST)
    assert len(found) == 1, [d.message for d in found]
    assert says in found[0].message


def test_trust_everyone_narrowed_to_allowed_accounts_passes(configured: PolicyPack) -> None:
    narrowed = {"StringEquals": {"aws:PrincipalAccount": OWN}}
    assert analyze(configured, ROLE, trust(assume("*", Condition=narrowed)), policy=TRUST) == []


def test_trust_listed_and_exempt_principals(configured: PolicyPack) -> None:
    props = trust(
        assume({"AWS": FOREIGN_ROLE}),
        assume({"Service": "vpc-flow-logs.amazonaws.com"}),
    )
    assert len(analyze(configured, ROLE, props, policy=TRUST)) == 2
    configured.configure(
        {
            TRUST: {
                "allowedAccountIds": [OWN],
                "allowedPrincipals": [FOREIGN_ROLE],
                "exemptServicePrincipals": ["vpc-flow-logs.amazonaws.com"],
            }
        }
    )
    assert analyze(configured, ROLE, props, policy=TRUST) == []


@pytest.mark.parametrize(
    "service",
    [
        "lambda.amazonaws.com",
        "ecs-tasks.amazonaws.com",
        "ec2.amazonaws.com",
        "codebuild.amazonaws.com",
        "states.eu-west-1.amazonaws.com",
    ],
)
def test_trust_execution_roles_pass_by_default(configured: PolicyPack, service: str) -> None:
    """An execution role reaches its service only through iam:PassRole in its own account, so the
    reviewed default of exemptServicePrincipals admits it without aws:SourceAccount."""
    props = trust(assume({"Service": service}))
    assert analyze(configured, ROLE, props, policy=TRUST) == []


@pytest.mark.parametrize(
    "service", ["s3.amazonaws.com", "vpc-flow-logs.amazonaws.com", "sns.amazonaws.com"]
)
def test_trust_services_acting_on_their_own_need_source_keys(
    configured: PolicyPack, service: str
) -> None:
    found = analyze(configured, ROLE, trust(assume({"Service": service})), policy=TRUST)
    assert len(found) == 1, found
    assert "confused deputy" in found[0].message


@pytest.mark.parametrize(("account", "blocked"), [(OWN, False), (FOREIGN, True)])
def test_trust_firehose_external_id_binds_the_service(
    configured: PolicyPack, account: str, blocked: bool
) -> None:
    """Firehose's documented delivery-role trust: sts:ExternalId is the stream's account."""
    bound = {"StringEquals": {"sts:ExternalId": account}}
    props = trust(assume({"Service": "firehose.amazonaws.com"}, Condition=bound))
    found = analyze(configured, ROLE, props, policy=TRUST)
    assert bool(found) == blocked, found


def test_trust_of_an_aws_native_role_is_judged_alike(configured: PolicyPack) -> None:
    native = "aws-native:iam:Role"
    configured.configure({TRUST: {"allowedAccountIds": [OWN]}})
    open_to_all = {"assumeRolePolicyDocument": json.loads(document(assume({"AWS": "*"})))}
    found = analyze(configured, native, open_to_all, policy=TRUST)
    assert len(found) == 1, found
    assert "every AWS principal" in found[0].message
    lambda_role = {
        "assumeRolePolicyDocument": document(assume({"Service": "lambda.amazonaws.com"}))
    }
    assert analyze(configured, native, lambda_role, policy=TRUST) == []
    # Not judged a second time, as a resource policy.
    assert analyze(configured, native, open_to_all, policy=NO_FOREIGN) == []


def test_trust_explicit_empty_exemptions_are_strict(configured: PolicyPack) -> None:
    configured.configure({TRUST: {"allowedAccountIds": [OWN], "exemptServicePrincipals": []}})
    props = trust(assume({"Service": "lambda.amazonaws.com"}))
    found = analyze(configured, ROLE, props, policy=TRUST)
    assert len(found) == 1, found
    assert "lambda.amazonaws.com" in found[0].message


@pytest.mark.parametrize(
    "value", [UNKNOWN, "{", json.dumps({"Statement": []}), document(assume({"AWS": UNKNOWN}))]
)
def test_trust_unknown_or_unparsable_is_blocked(configured: PolicyPack, value: Any) -> None:
    found = analyze(configured, ROLE, {"assumeRolePolicy": value}, policy=TRUST)
    assert len(found) == 1
    assert "fail closed" in found[0].message


def test_trust_missing_is_blocked(configured: PolicyPack) -> None:
    assert len(analyze(configured, ROLE, {"name": "r"}, policy=TRUST)) == 1


# -- aws-kms-key-policy-root-not-admin -------------------------------------------------------------


def key(*statements: Mapping[str, Any]) -> dict[str, Any]:
    return {"policy": document(*statements)}


def kms(principal: Any, actions: Any, **fields: Any) -> dict[str, Any]:
    return statement(principal, Action=actions, **fields)


GRANT_BOUND: Final = {"Bool": {"kms:GrantIsForAWSResource": "true"}}


@pytest.mark.parametrize("type_", [KEY, KEY_POLICY])
def test_key_policy_compliant_passes(eu_access: PolicyPack, type_: str) -> None:
    props = key(
        kms({"AWS": OWN_ROOT}, ["kms:Describe*", "kms:Enable*", "kms:List*", "kms:Get*"]),
        kms({"AWS": OWN_ROLE}, ["kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"]),
        kms({"AWS": OWN_ROLE}, "kms:CreateGrant", Condition=GRANT_BOUND),
        kms({"AWS": OWN_ROOT}, "kms:*", Effect="Deny"),
    )
    assert analyze(eu_access, type_, props, policy=ROOT_ADMIN) == []


@pytest.mark.parametrize(
    ("principal", "actions", "says"),
    [
        ({"AWS": OWN_ROOT}, "kms:*", "kms:*, kms:CreateGrant, kms:PutKeyPolicy"),
        ({"AWS": OWN}, "*", "kms:*"),
        ({"AWS": OWN_ROOT}, ["kms:Put*", "kms:Describe*"], "kms:PutKeyPolicy"),
        ({"AWS": OWN_ROOT}, "KMS:putkeypolicy", "kms:PutKeyPolicy"),
        ("*", "kms:PutKeyPolicy", "kms:PutKeyPolicy"),
    ],
)
def test_key_policy_root_admin_is_blocked(
    eu_access: PolicyPack, principal: Any, actions: Any, says: str
) -> None:
    found = analyze(eu_access, KEY, key(kms(principal, actions)), policy=ROOT_ADMIN)
    assert found, "root admin passed"
    assert any(says in d.message and "account root" in d.message for d in found)


def test_key_policy_repo_style_admin_statement_is_blocked_twice(eu_access: PolicyPack) -> None:
    # The shape components/keys/aws.py generates today: kms:Create* and kms:Put* for the root.
    props = key(kms({"AWS": OWN_ROOT}, ["kms:Create*", "kms:Put*", "kms:Describe*"]))
    messages = sorted(d.message for d in analyze(eu_access, KEY, props, policy=ROOT_ADMIN))
    assert len(messages) == 2
    assert any("kms:CreateGrant, kms:PutKeyPolicy" in m for m in messages)
    assert any("kms:GrantIsForAWSResource" in m for m in messages)


def test_key_policy_not_action_counts_as_everything(eu_access: PolicyPack) -> None:
    props = key({"Effect": "Allow", "Principal": {"AWS": OWN_ROOT}, "NotAction": "kms:Decrypt"})
    found = analyze(eu_access, KEY, props, policy=ROOT_ADMIN)
    assert any("kms:*" in d.message for d in found)


def test_key_policy_create_grant_needs_aws_resource_condition(eu_access: PolicyPack) -> None:
    unbound = key(kms({"AWS": OWN_ROLE}, "kms:CreateGrant"))
    found = analyze(eu_access, KEY, unbound, policy=ROOT_ADMIN)
    assert len(found) == 1
    assert "kms:GrantIsForAWSResource" in found[0].message
    false = key(
        kms(
            {"AWS": OWN_ROLE},
            "kms:CreateGrant",
            Condition={"Bool": {"kms:GrantIsForAWSResource": "false"}},
        )
    )
    assert len(analyze(eu_access, KEY, false, policy=ROOT_ADMIN)) == 1


def test_key_policy_root_narrowed_to_configured_admins(eu_access: PolicyPack) -> None:
    narrowed = key(
        kms(
            {"AWS": OWN_ROOT},
            ["kms:PutKeyPolicy", "kms:Describe*"],
            Condition={"ArnEquals": {"aws:PrincipalArn": OWN_ROLE}},
        )
    )
    # Without a configured key-admin list the root may not administer, condition or not.
    assert len(analyze(eu_access, KEY, narrowed, policy=ROOT_ADMIN)) == 1
    eu_access.configure({ROOT_ADMIN: {"keyAdminRoleArns": [OWN_ROLE]}})
    assert analyze(eu_access, KEY, narrowed, policy=ROOT_ADMIN) == []
    unnarrowed = key(kms({"AWS": OWN_ROOT}, "kms:PutKeyPolicy"))
    found = analyze(eu_access, KEY, unnarrowed, policy=ROOT_ADMIN)
    assert len(found) == 1
    assert "keyAdminRoleArns" in found[0].message


@pytest.mark.parametrize(
    ("props", "says"),
    [
        ({}, "default key policy"),
        ({"policy": UNKNOWN}, "unknown during preview"),
        ({"policy": "[]"}, "not a JSON object"),
        ({"policy": document(kms({"AWS": OWN_ROOT}, UNKNOWN))}, "unknown during preview"),
    ],
)
def test_key_policy_missing_unknown_or_unparsable_is_blocked(
    eu_access: PolicyPack, props: Mapping[str, Any], says: str
) -> None:
    found = analyze(eu_access, KEY, props, policy=ROOT_ADMIN)
    assert len(found) == 1, [d.message for d in found]
    assert says in found[0].message


# -- meta ------------------------------------------------------------------------------------------


def test_rules_are_named_described_and_leveled(eu_access: PolicyPack) -> None:
    assert eu_access.name == "eu-access"
    # policy-exemption-applied records reviewed exemptions; tests/test_exemptions.py covers it.
    assert set(eu_access.policies) == {
        NO_FOREIGN,
        "aws-data-shared-only-with-allowed-accounts",
        TRUST,
        ROOT_ADMIN,
        "azure-native-role-assignment-data-scope-restricted",
        "aws-vpc-endpoint-require-policy",
        "aws-data-bucket-access-logged",
        "azure-native-data-store-access-logged",
        "aws-data-readers-are-gateway-roles",
        "azure-native-vault-trusted-services-justified",
        "policy-exemption-applied",
    }
    for info in (i for n, i in eu_access.policies.items() if n != "policy-exemption-applied"):
        assert info.name.startswith(("aws-", "azure-native-")), info.name
        assert info.description, info.name
        assert info.remediation, info.name
        assert info.enforcement_level == "mandatory", info.name
        assert info.severity in ("high", "critical"), info.name
        assert info.config_schema is not None, info.name


# -- the repo's own stacks -------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_repo_stacks_pass_eu_access(stack: str) -> None:
    config = ROOT / "policy_packs" / "config" / f"eu_access.{stack}.json"
    result = check(cwd=ROOT, stack=stack, packs=[EU_ACCESS_DIR], pack_configs=[config])
    assert len(result.placed) > 50
    assert result.incomplete is None
    assert not result.mandatory, "\n".join(
        f"{d.policy} {d.urn}: {d.message}" for d in result.mandatory
    )
    assert not result.advisory, [d.message for d in result.advisory]
