"""eu-access beyond the data stores' own policies, over the analyzer protocol: resource policies
found in any AWS resource's inputs, VPC endpoint perimeters, and grants, shares and permissions
that name their grantee in a plain input (``aws-data-shared-only-with-allowed-accounts``)."""

from __future__ import annotations

import importlib
import inspect
import json
import re
import sys
from typing import Any, Final

import pytest

from clover.analyzer import UNKNOWN, AnalyzedResource, Diagnostic, PolicyPack, ProviderRef

from .conftest import EU_ACCESS_DIR, eu_urn

OWN: Final = "123456789012"
FOREIGN: Final = "999988887777"
NO_FOREIGN: Final = "aws-s3-bucket-policy-no-foreign-principals"
SHARED: Final = "aws-data-shared-only-with-allowed-accounts"
CONFIG: Final = {
    NO_FOREIGN: {"allowedAccountIds": [OWN]},
    SHARED: {"allowedAccountIds": [OWN]},
}


@pytest.fixture
def pack(eu_access: PolicyPack) -> PolicyPack:
    eu_access.configure(CONFIG)
    return eu_access


def analyze(
    pack: PolicyPack, type_: str, properties: dict[str, Any], *, policy: str
) -> list[Diagnostic]:
    resource = AnalyzedResource(
        urn=eu_urn(type_, "subject"),
        type=type_,
        name="subject",
        properties=properties,
        provider=ProviderRef(
            type="pulumi:providers:aws",
            name="dublin",
            urn=eu_urn("pulumi:providers:aws", "dublin"),
            properties={"region": "eu-west-1"},
        ),
    )
    found = [d for d in pack.analyze(resource) if d.policy == policy]
    for d in found:
        assert d.enforcement_level == "mandatory", d.message
        assert "could not be evaluated" not in d.message, d.message
    return found


def grant(principal: Any, **fields: Any) -> dict[str, Any]:
    return {
        "Effect": "Allow",
        "Principal": principal,
        "Action": "ecr:BatchGetImage",
        "Resource": "*",
        **fields,
    }


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


# -- resource policies in any AWS resource's inputs ------------------------------------------------

# A type the rule has no entry for, with the input that holds its resource policy.
POLICY_HOLDERS: Final = [
    ("aws:ecr/repositoryPolicy:RepositoryPolicy", "policy"),
    ("aws:dynamodb/resourcePolicy:ResourcePolicy", "policy"),
    ("aws:efs/fileSystemPolicy:FileSystemPolicy", "policy"),
    ("aws:backup/vaultPolicy:VaultPolicy", "policy"),
    ("aws:glacier/vault:Vault", "accessPolicy"),
    ("aws:opensearch/domain:Domain", "accessPolicies"),
    ("aws:cloudwatch/logResourcePolicy:LogResourcePolicy", "policyDocument"),
    ("aws:s3/accessPoint:AccessPoint", "policy"),
    ("aws-native:s3:BucketPolicy", "policyDocument"),
]


@pytest.mark.parametrize(("type_", "prop"), POLICY_HOLDERS)
def test_a_foreign_grant_in_any_resource_policy_is_blocked(
    pack: PolicyPack, type_: str, prop: str
) -> None:
    props = {prop: doc(grant({"AWS": f"arn:aws:iam::{OWN}:role/app"}), grant({"AWS": FOREIGN}))}
    found = analyze(pack, type_, props, policy=NO_FOREIGN)
    assert len(found) == 1, [d.message for d in found]
    assert FOREIGN in found[0].message
    assert f"{type_} subject: {prop}:" in found[0].message


@pytest.mark.parametrize(("type_", "prop"), POLICY_HOLDERS)
def test_own_account_roles_in_any_resource_policy_pass(
    pack: PolicyPack, type_: str, prop: str
) -> None:
    props = {prop: doc(grant({"AWS": f"arn:aws:iam::{OWN}:role/app"}))}
    assert analyze(pack, type_, props, policy=NO_FOREIGN) == []


@pytest.mark.parametrize(("type_", "prop"), POLICY_HOLDERS)
def test_an_unknown_resource_policy_is_blocked(pack: PolicyPack, type_: str, prop: str) -> None:
    found = analyze(pack, type_, {prop: UNKNOWN}, policy=NO_FOREIGN)
    assert len(found) == 1
    assert "fail closed" in found[0].message


def test_a_policy_nested_in_a_list_or_given_as_an_object_is_found(pack: PolicyPack) -> None:
    props = {
        "settings": [{"name": "a"}, {"document": {"Statement": [grant("*")]}}],
        "description": doc(grant({"AWS": FOREIGN})),
    }
    found = analyze(pack, "aws:example/thing:Thing", props, policy=NO_FOREIGN)
    assert len(found) == 2, [d.message for d in found]
    messages = " | ".join(d.message for d in found)
    assert "aws:example/thing:Thing subject: description: statement 0 grants to" in messages
    assert "aws:example/thing:Thing subject: settings[1].document: statement 0 allows" in messages


@pytest.mark.parametrize(
    ("type_", "props"),
    [
        # Identity policies name no principal.
        ("aws:iam/policy:Policy", {"policy": doc({"Effect": "Allow", "Action": "*"})}),
        # A role's trust policy is the trust rule's (execution roles have their own default).
        (
            "aws:iam/role:Role",
            {"assumeRolePolicy": doc(grant({"Service": "lambda.amazonaws.com"}))},
        ),
        # JSON that is not a policy, and text that only looks like one.
        ("aws:sqs/queue:Queue", {"redrivePolicy": json.dumps({"maxReceiveCount": 3})}),
        ("aws:ssm/parameter:Parameter", {"value": '{"Statement": "Principal"'}),
        # An SNS data protection policy: Principal and Operation, no Effect; not IAM's language.
        (
            "aws:sns/dataProtectionPolicy:DataProtectionPolicy",
            {
                "policy": json.dumps(
                    {
                        "Name": "pii",
                        "Version": "2021-06-01",
                        "Statement": [
                            {
                                "DataDirection": "Inbound",
                                "Principal": ["*"],
                                "Operation": {"Deny": {}},
                            }
                        ],
                    }
                )
            },
        ),
        # Unknown values under keys that hold no resource policy.
        ("aws:sqs/queue:Queue", {"redrivePolicy": UNKNOWN, "name": UNKNOWN}),
    ],
)
def test_what_is_not_a_resource_policy_is_not_judged(
    pack: PolicyPack, type_: str, props: dict[str, Any]
) -> None:
    assert analyze(pack, type_, props, policy=NO_FOREIGN) == []


ENDPOINT: Final = "aws:ec2/vpcEndpoint:VpcEndpoint"


def test_an_endpoint_policy_with_the_account_perimeter_passes(pack: PolicyPack) -> None:
    perimeter = {"StringEquals": {"aws:PrincipalAccount": OWN, "aws:ResourceAccount": OWN}}
    props = {"policy": doc(grant("*", Action="s3:*", Condition=perimeter))}
    assert analyze(pack, ENDPOINT, props, policy=NO_FOREIGN) == []


@pytest.mark.parametrize(
    "statement",
    [
        grant("*", Action="s3:*"),
        grant("*", Condition={"StringEquals": {"aws:PrincipalAccount": FOREIGN}}),
        grant({"AWS": FOREIGN}),
    ],
)
def test_an_endpoint_policy_open_beyond_the_accounts_is_blocked(
    pack: PolicyPack, statement: dict[str, Any]
) -> None:
    found = analyze(pack, ENDPOINT, {"policy": doc(statement)}, policy=NO_FOREIGN)
    assert len(found) == 1, [d.message for d in found]


# -- aws-data-shared-only-with-allowed-accounts ----------------------------------------------------


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _grantees() -> dict[str, tuple[str, ...]]:
    """The pack's table, imported as the launcher imports the pack (its directory first on the
    path), in isolation: other packs have modules of the same top-level names."""
    names = ("access_common", "sharing")
    saved = {name: sys.modules.pop(name) for name in names if name in sys.modules}
    sys.path.insert(0, str(EU_ACCESS_DIR))
    try:
        table: dict[str, tuple[str, ...]] = importlib.import_module("sharing").GRANTEES
        return table
    finally:
        sys.path.remove(str(EU_ACCESS_DIR))
        for name in names:
            sys.modules.pop(name, None)
        sys.modules.update(saved)


def test_every_listed_grantee_input_exists_in_pulumi_aws() -> None:
    """The table names real inputs: the type token is the class's and each input is one of its
    constructor's arguments (pulumi-aws v7)."""
    table = _grantees()
    assert len(table) >= 14
    for type_, props in table.items():
        module_path = type_.split(":")[1].split("/", maxsplit=1)[0]
        class_name = type_.rsplit(":", 1)[1]
        module = importlib.import_module(
            f"pulumi_aws.{ {'lambda': 'lambda_'}.get(module_path, module_path) }"
        )
        cls = getattr(module, class_name)
        assert f'"{type_}"' in inspect.getsource(cls), type_
        arguments = inspect.signature(cls._internal_init).parameters
        for prop in props:
            assert _snake(prop) in arguments, (type_, prop)


SHARE_CASES: Final = [
    ("aws:kms/grant:Grant", "granteePrincipal", f"arn:aws:iam::{OWN}:role/app", None),
    ("aws:kms/grant:Grant", "granteePrincipal", f"arn:aws:iam::{FOREIGN}:role/x", FOREIGN),
    ("aws:kms/grant:Grant", "retiringPrincipal", f"arn:aws:iam::{FOREIGN}:root", FOREIGN),
    ("aws:rds/snapshot:Snapshot", "sharedAccounts", [OWN], None),
    ("aws:rds/snapshot:Snapshot", "sharedAccounts", [OWN, FOREIGN], FOREIGN),
    ("aws:rds/clusterSnapshot:ClusterSnapshot", "sharedAccounts", ["all"], "everyone"),
    (
        "aws:ec2/snapshotCreateVolumePermission:SnapshotCreateVolumePermission",
        "accountId",
        FOREIGN,
        FOREIGN,
    ),
    ("aws:ec2/amiLaunchPermission:AmiLaunchPermission", "group", "all", "everyone"),
    (
        "aws:ec2/amiLaunchPermission:AmiLaunchPermission",
        "organizationArn",
        f"arn:aws:organizations::{OWN}:organization/o-abc123",
        "organization",
    ),
    ("aws:ram/principalAssociation:PrincipalAssociation", "principal", OWN, None),
    ("aws:ram/principalAssociation:PrincipalAssociation", "principal", FOREIGN, FOREIGN),
    ("aws:lambda/permission:Permission", "principal", "*", "everyone"),
    ("aws:lambda/permission:Permission", "principalOrgId", "o-abc123", "organization"),
    (
        "aws:lakeformation/permissions:Permissions",
        "principal",
        f"arn:aws:iam::{FOREIGN}:root",
        FOREIGN,
    ),
    ("aws:ec2/vpcPeeringConnection:VpcPeeringConnection", "peerOwnerId", FOREIGN, FOREIGN),
    ("aws:ec2/vpcPeeringConnection:VpcPeeringConnection", "peerOwnerId", OWN, None),
    ("aws:redshift/endpointAuthorization:EndpointAuthorization", "account", FOREIGN, FOREIGN),
    (
        "aws:redshift/dataShareAuthorization:DataShareAuthorization",
        "consumerIdentifier",
        "ADX",
        "no account",
    ),
    ("aws:kms/grant:Grant", "granteePrincipal", UNKNOWN, "fail closed"),
]


@pytest.mark.parametrize(("type_", "prop", "value", "says"), SHARE_CASES)
def test_grantees_outside_the_allowed_accounts_are_blocked(
    pack: PolicyPack, type_: str, prop: str, value: Any, says: str | None
) -> None:
    found = analyze(pack, type_, {prop: value}, policy=SHARED)
    if says is None:
        assert found == [], [d.message for d in found]
    else:
        assert len(found) == 1, [d.message for d in found]
        assert says in found[0].message
        assert prop in found[0].message


@pytest.mark.parametrize(
    ("extra", "blocked"),
    [
        ({}, True),
        ({"sourceAccount": FOREIGN}, True),
        ({"sourceAccount": OWN}, False),
        ({"sourceArn": "arn:aws:s3:::uploads"}, False),
        ({"sourceArn": f"arn:aws:events:eu-west-1:{FOREIGN}:rule/r"}, True),
    ],
)
def test_a_service_grantee_needs_its_source_bound(
    pack: PolicyPack, extra: dict[str, Any], blocked: bool
) -> None:
    props = {"principal": "s3.amazonaws.com", "function": "f", **extra}
    found = analyze(pack, "aws:lambda/permission:Permission", props, policy=SHARED)
    assert bool(found) == blocked, [d.message for d in found]


def test_a_listed_outside_principal_passes(eu_access: PolicyPack) -> None:
    partner = f"arn:aws:iam::{FOREIGN}:role/auditor"
    eu_access.configure({SHARED: {"allowedAccountIds": [OWN], "allowedPrincipals": [partner]}})
    props = {"granteePrincipal": partner}
    assert analyze(eu_access, "aws:kms/grant:Grant", props, policy=SHARED) == []


@pytest.mark.parametrize(
    ("evidence", "blocked"),
    [
        # Exactly the ARN of a rule of this stack.
        ({"provenOutputs": {"URN": {"sourceArn": "RULE#arn"}}}, False),
        # Computed from an API of this stack: its execution ARN with a suffix.
        (
            {
                "computedValues": {
                    "inputs": {
                        "URN": {"sourceArn": "executionarn.0123456789abcdef.stand-in.invalid/*/*"}
                    },
                    "standIns": {"0123456789abcdef": "API"},
                }
            },
            False,
        ),
        # A stand-in no resource of the stack is known by proves nothing.
        (
            {
                "computedValues": {
                    "inputs": {
                        "URN": {"sourceArn": "executionarn.fedcba9876543210.stand-in.invalid/*/*"}
                    },
                    "standIns": {"0123456789abcdef": "API"},
                }
            },
            True,
        ),
        # Unknown without evidence.
        ({}, True),
    ],
)
def test_a_service_grantee_bound_to_the_stacks_own_resource(
    eu_access: PolicyPack, evidence: dict[str, Any], blocked: bool
) -> None:
    urn = eu_urn("aws:lambda/permission:Permission", "subject")
    text = json.dumps(evidence).replace("URN", urn)
    text = text.replace("RULE", eu_urn("aws:cloudwatch/eventRule:EventRule", "r"))
    text = text.replace('"API"', json.dumps(eu_urn("aws:apigateway/restApi:RestApi", "api")))
    eu_access.configure({SHARED: {"allowedAccountIds": [OWN], **json.loads(text)}})
    props = {"principal": "apigateway.amazonaws.com", "function": "f", "sourceArn": UNKNOWN}
    found = analyze(eu_access, "aws:lambda/permission:Permission", props, policy=SHARED)
    assert bool(found) == blocked, [d.message for d in found]


@pytest.mark.parametrize(
    ("named", "blocked"),
    [
        (eu_urn("aws:cloudfront/originAccessIdentity:OriginAccessIdentity", "oai"), False),
        (eu_urn("aws:iam/role:Role", "reader"), False),
        # Another stack's output, whatever account that stack is in.
        ("urn:pulumi:dev::p::pulumi:pulumi:StackReference::shared", True),
        (None, True),
    ],
)
def test_a_principal_computed_from_the_stacks_own_identity(
    eu_access: PolicyPack, named: str | None, blocked: bool
) -> None:
    urn = eu_urn("aws:s3/bucketPolicy:BucketPolicy", "subject")
    principal = "iamarn.0123456789abcdef.stand-in.invalid"
    policy = doc(grant({"AWS": principal}, Action="s3:GetObject"))
    eu_access.configure(
        {
            NO_FOREIGN: {
                "allowedAccountIds": [OWN],
                "computedValues": {
                    "inputs": {urn: {"policy": policy}},
                    "standIns": {"0123456789abcdef": named} if named else {},
                },
            }
        }
    )
    found = analyze(
        eu_access, "aws:s3/bucketPolicy:BucketPolicy", {"policy": UNKNOWN}, policy=NO_FOREIGN
    )
    assert bool(found) == blocked, [d.message for d in found]


# -- endpoint services, S3 ACLs, gateway conditions on the stack's own endpoint --------------------

OWNER: Final = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"


@pytest.mark.parametrize(
    ("type_", "props", "says"),
    [
        (
            "aws:ec2/vpcEndpointServiceAllowedPrinciple:VpcEndpointServiceAllowedPrinciple",
            {"principalArn": "*"},
            "everyone",
        ),
        (
            "aws:ec2/vpcEndpointService:VpcEndpointService",
            {"allowedPrincipals": [f"arn:aws:iam::{OWN}:root", f"arn:aws:iam::{FOREIGN}:root"]},
            FOREIGN,
        ),
        ("aws:s3/bucketAclV2:BucketAclV2", {"acl": "public-read"}, "public-read"),
        ("aws:s3/bucket:Bucket", {"acl": "authenticated-read"}, "authenticated-read"),
        (
            "aws:s3/bucketAclV2:BucketAclV2",
            {
                "accessControlPolicy": {
                    "owner": {"id": OWNER},
                    "grants": [
                        {
                            "grantee": {"type": "CanonicalUser", "id": OWNER},
                            "permission": "FULL_CONTROL",
                        },
                        {
                            "grantee": {
                                "type": "AmazonCustomerByEmail",
                                "emailAddress": "a@b.example",
                            },
                            "permission": "READ",
                        },
                    ],
                }
            },
            "a@b.example",
        ),
        (
            "aws:s3/bucketAcl:BucketAcl",
            {
                "accessControlPolicy": {
                    "owner": {"id": OWNER},
                    "grants": [
                        {
                            "grantee": {
                                "type": "Group",
                                "uri": "http://acs.amazonaws.com/groups/global/AllUsers",
                            },
                            "permission": "READ",
                        }
                    ],
                }
            },
            "AllUsers",
        ),
        (
            "aws:s3/bucket:Bucket",
            {"grants": [{"type": "CanonicalUser", "id": "0" * 64, "permissions": ["READ"]}]},
            "canonical user",
        ),
        ("aws:s3/bucketAclV2:BucketAclV2", {"acl": UNKNOWN}, "acl"),
    ],
)
def test_endpoint_services_and_acls_open_beyond_the_owner_are_blocked(
    pack: PolicyPack, type_: str, props: dict[str, Any], says: str
) -> None:
    found = analyze(pack, type_, props, policy=SHARED)
    assert len(found) == 1, [d.message for d in found]
    assert says in found[0].message


@pytest.mark.parametrize(
    ("type_", "props"),
    [
        ("aws:s3/bucketAclV2:BucketAclV2", {"acl": "private"}),
        ("aws:s3/bucket:Bucket", {"bucket": "b"}),
        (
            "aws:s3/bucketAclV2:BucketAclV2",
            {
                "accessControlPolicy": {
                    "owner": {"id": OWNER},
                    "grants": [
                        {
                            "grantee": {"type": "CanonicalUser", "id": OWNER},
                            "permission": "FULL_CONTROL",
                        },
                        {
                            "grantee": {
                                "type": "Group",
                                "uri": "http://acs.amazonaws.com/groups/s3/LogDelivery",
                            },
                            "permission": "WRITE",
                        },
                    ],
                }
            },
        ),
        (
            "aws:ec2/vpcEndpointServiceAllowedPrinciple:VpcEndpointServiceAllowedPrinciple",
            {"principalArn": f"arn:aws:iam::{OWN}:role/consumer"},
        ),
    ],
)
def test_acls_and_endpoint_services_within_the_owner_pass(
    pack: PolicyPack, type_: str, props: dict[str, Any]
) -> None:
    assert analyze(pack, type_, props, policy=SHARED) == []


@pytest.mark.parametrize(
    ("endpoint", "blocked"),
    [
        ("vpce-0a1b2c3d4e5f60718", False),
        ("id.0123456789abcdef.stand-in.invalid", False),  # the stack's endpoint, computed
        ("id.fedcba9876543210.stand-in.invalid", True),  # no resource of the stack
        ("10.0.0.0/8", True),
    ],
)
def test_a_gateway_condition_on_the_stacks_own_endpoint(
    eu_access: PolicyPack, endpoint: str, blocked: bool
) -> None:
    urn = eu_urn("aws:apigateway/restApiPolicy:RestApiPolicy", "subject")
    policy = doc(
        grant(
            "*",
            Action="execute-api:Invoke",
            Condition={"StringEquals": {"aws:SourceVpce": endpoint}},
        )
    )
    eu_access.configure(
        {
            NO_FOREIGN: {
                "allowedAccountIds": [OWN],
                "computedValues": {
                    "inputs": {urn: {"policy": policy}},
                    "standIns": {
                        "0123456789abcdef": eu_urn("aws:ec2/vpcEndpoint:VpcEndpoint", "api")
                    },
                },
            }
        }
    )
    found = analyze(
        eu_access,
        "aws:apigateway/restApiPolicy:RestApiPolicy",
        {"policy": UNKNOWN},
        policy=NO_FOREIGN,
    )
    assert bool(found) == blocked, [d.message for d in found]


# -- data sent to another account's resource ------------------------------------------------------

FOREIGN_DESTINATION: Final = f"arn:aws:logs:eu-west-1:{FOREIGN}:destination:central"


@pytest.mark.parametrize(
    ("type_", "props", "path"),
    [
        (
            "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter",
            {"destinationArn": FOREIGN_DESTINATION, "logGroup": "app"},
            "destinationArn",
        ),
        (
            "aws:cloudwatch/eventTarget:EventTarget",
            {"arn": f"arn:aws:events:eu-west-1:{FOREIGN}:event-bus/central", "rule": "r"},
            "arn",
        ),
        (
            "aws:sns/topicSubscription:TopicSubscription",
            {"endpoint": f"arn:aws:sqs:eu-west-1:{FOREIGN}:intake", "protocol": "sqs"},
            "endpoint",
        ),
        (
            "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
            {
                "extendedS3Configuration": {"bucketArn": "arn:aws:s3:::x", "roleArn": "r"},
                "kinesisSourceConfiguration": {
                    "kinesisStreamArn": f"arn:aws:kinesis:eu-west-1:{FOREIGN}:stream/s"
                },
            },
            "kinesisSourceConfiguration.kinesisStreamArn",
        ),
    ],
)
def test_data_sent_to_another_accounts_resource_is_blocked(
    pack: PolicyPack, type_: str, props: dict[str, Any], path: str
) -> None:
    found = analyze(pack, type_, props, policy=SHARED)
    assert len(found) == 1, [d.message for d in found]
    assert f": {path} sends data to" in found[0].message
    assert f"account {FOREIGN}, which is not allowed" in found[0].message


@pytest.mark.parametrize(
    ("type_", "props"),
    [
        (
            "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter",
            {"destinationArn": f"arn:aws:logs:eu-west-1:{OWN}:destination:central"},
        ),
        # Code pulled from another account, a key or a role, is not where data goes.
        (
            "aws:lambda/function:Function",
            {
                "layers": [f"arn:aws:lambda:eu-west-1:{FOREIGN}:layer:Datadog-Python312:100"],
                "role": f"arn:aws:iam::{OWN}:role/handler",
                "kmsKeyArn": f"arn:aws:kms:eu-west-1:{OWN}:key/k",
            },
        ),
        (
            "aws:cloudwatch/eventTarget:EventTarget",
            {
                "arn": f"arn:aws:lambda:eu-west-1:{OWN}:function:f",
                "roleArn": f"arn:aws:iam::{FOREIGN}:role/r",
            },
        ),
    ],
)
def test_destinations_of_the_allowed_accounts_pass(
    pack: PolicyPack, type_: str, props: dict[str, Any]
) -> None:
    assert analyze(pack, type_, props, policy=SHARED) == []
