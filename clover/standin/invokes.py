"""Data sources (invokes) answered offline, as close to ``pulumi preview`` as a machine without a
cloud can be.

During a real preview the engine hands every invoke to the provider, which executes it: a lookup
such as ``aws.ec2.get_ami`` reads the cloud, and a data source the provider computes by itself
(``aws.iam.get_policy_document``, ``aws.get_partition``) returns its real value
(https://www.pulumi.com/docs/iac/concepts/resources/functions/). Offline the stand-in does the same
for the data sources a provider computes locally (:data:`_LOCAL`), and answers every other lookup
with a value of the right shape, built from the SDK's own result type, in which every value that
could carry a placement (region, location, zone, ARN, id, endpoint, ...) is the engine's unknown.
Whatever the program passes on from a lookup therefore stays unproven and the residency rules fail
closed on it.

The SDK rejects an unknown inside an invoke result: a generated result class checks each argument
with ``if x and not isinstance(x, str)``, and ``pulumi.runtime.rpc.deserialize_property`` turns the
engine's unknown into a (truthy) ``Unknown`` object at preview. :func:`capturing_invokes` therefore
wraps ``pulumi.runtime.invoke``/``invoke_output`` for the run: it notes the result type and the
program line of each call, and builds the SDK result object itself, with the sentinel string in the
plain form (a ``str``, as the plain form's callers expect) and an unknown in the ``_output`` form
(so that ``get_ami_output().id`` is an unknown ``Output``, as a computed value is at preview).
"""

from __future__ import annotations

import contextlib
import contextvars
import enum
import hashlib
import importlib
import inspect
import json
import re
import sys
import typing
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pulumi
import pulumi.runtime
import yaml
from pulumi import _types
from pulumi.output import Unknown
from pulumi.runtime import rpc

UNKNOWN = rpc.UNKNOWN

FAKE_AWS_ACCOUNT_ID = "123456789012"
FAKE_AZURE_SUBSCRIPTION_ID = "00000000-0000-0000-0000-000000000000"
FAKE_AZURE_TENANT_ID = "00000000-0000-0000-0000-000000000001"
FAKE_AZURE_OBJECT_ID = "00000000-0000-0000-0000-000000000002"

COMPUTED = "computed"
"""How: the provider computes this data source locally, and so did the stand-in."""
SHAPED = "shaped"
"""How: a cloud lookup, answered with the SDK result's shape and every placement unknown."""


class UnanswerableInvokeError(pulumi.RunError):
    """A data source the stand-in cannot answer; one line naming it and the program line.

    A ``RunError`` is the SDK's clean program failure: the language host prints its message
    without a traceback (``pulumi/runtime/stack.py``).
    """


@dataclass(frozen=True)
class _Call:
    token: str
    typ: type | None
    caller: str | None
    """``file:line`` of the program frame that called the data source."""
    output_form: bool = False


_OUTPUT_UNKNOWN = "clover-standin-unknown-04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""What an ``_output`` call is sent where the engine would send its unknown: the SDK marks a
whole invoke Output unknown when its result contains one (``_OutputData.__post_init__`` in
``pulumi/output.py``), so the unknown is put in field by field after the result arrives."""


_PLAIN_UNKNOWN = "clover-standin-plain-unknown-04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""What a plain lookup is sent in place of an unproven value that an earlier offline answer gave
the program; the answer treats it as the engine's unknown again."""
UNKNOWN_FORMS = frozenset({UNKNOWN, _OUTPUT_UNKNOWN, _PLAIN_UNKNOWN})
"""Every form an unknown field of an answer takes (the engine's, and the two markers)."""


_CURRENT: contextvars.ContextVar[_Call | None] = contextvars.ContextVar(
    "clover_standin_invoke", default=None
)
"""The call being answered. The SDK runs the monitor's ``Invoke`` in a worker thread with the
calling context copied (``pulumi/runtime/_context.py: wrap_with_context``), so it reaches there."""


# --- finding the program line -------------------------------------------------------------------


def _is_sdk_frame(name: str) -> bool:
    top = name.split(".", 1)[0]
    return top == "pulumi" or top.startswith("pulumi_") or name == __name__


def _program_caller() -> str | None:
    """``file:line`` of the innermost frame outside the Pulumi SDKs and this module."""
    frame = sys._getframe(1)
    while frame is not None:
        if not _is_sdk_frame(str(frame.f_globals.get("__name__", ""))):
            path = Path(frame.f_code.co_filename)
            with contextlib.suppress(ValueError):
                path = path.resolve().relative_to(Path.cwd().resolve())
            return f"{path}:{frame.f_lineno}"
        frame = frame.f_back  # type: ignore[assignment]
    return None  # type: ignore[unreachable]


# --- the SDK seam -------------------------------------------------------------------------------


class _UnknownField(Unknown):
    """An unknown that a generated result class accepts (it is falsy, so ``if x and not
    isinstance(x, str)`` lets it through); still an ``Unknown`` for the SDK, so a lifted
    attribute is an unknown ``Output`` and a resource input made from it is sent unknown."""

    def __bool__(self) -> bool:
        return False

    def __str__(self) -> str:
        return UNKNOWN


def _replace_unknowns(value: Any, replacement: Callable[[], Any]) -> Any:
    if isinstance(value, Unknown):
        return replacement()
    if isinstance(value, dict):
        return {k: _replace_unknowns(v, replacement) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_unknowns(v, replacement) for v in value]
    return value


def _restore_unknowns(value: Any) -> Any:
    if value == _OUTPUT_UNKNOWN:
        return _UnknownField()  # type: ignore[no-untyped-call]
    if isinstance(value, dict):
        return {k: _restore_unknowns(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_restore_unknowns(v) for v in value]
    return value


def _typed(value: Any, typ: type | None, replacement: Callable[[], Any]) -> Any:
    value = _replace_unknowns(value, replacement)
    if typ is None or not isinstance(value, dict):
        return value
    return rpc.translate_output_properties(value, lambda prop: prop, typ)


@contextlib.contextmanager
def capturing_invokes() -> Iterator[None]:
    """Route the SDK's ``invoke``/``invoke_output`` through the stand-in for the run.

    Generated SDK functions call ``pulumi.runtime.invoke(tok, args, opts=..., typ=Result)``
    (e.g. ``pulumi_aws/ec2/get_ami.py``); ``invoke_single``/``invoke_output_single`` call the
    module's own ``invoke``/``invoke_output``, so both names are replaced where they are looked up.
    """
    module = sys.modules["pulumi.runtime.invoke"]
    original_invoke = module.invoke
    original_output = module.invoke_output

    def invoke(
        tok: str,
        props: Any,
        opts: Any = None,
        typ: type | None = None,
        package_ref: Any = None,
    ) -> Any:
        call = _Call(tok, typ, _program_caller())
        context = _CURRENT.set(call)
        try:
            # A placement value of an earlier offline answer (the sentinel string, plain) passed
            # on to another lookup: a real preview would know it and answer, so the lookup is
            # sent with a marker the SDK does not take for unknown, and answered unproven.
            result = original_invoke(
                tok, _sentinel_to(props, _PLAIN_UNKNOWN), opts, None, package_ref
            )
        finally:
            _CURRENT.reset(context)
        if not result.is_known:
            # The SDK does not send an invoke whose arguments are unknown and hands the plain
            # form None (pulumi/runtime/invoke.py), which a real preview also cannot read.
            raise UnanswerableInvokeError(
                _message(
                    call,
                    "an argument is unknown at preview; the plain form needs known "
                    "arguments (use the _output form)",
                )
            )
        # Plain callers expect a str where the schema says str: the engine's sentinel string.
        result.value = _typed(result.value, typ, lambda: UNKNOWN)
        return result

    def invoke_output(
        tok: str,
        props: Any,
        opts: Any = None,
        typ: type | None = None,
        package_ref: Any = None,
    ) -> pulumi.Output[Any]:
        context = _CURRENT.set(_Call(tok, typ, _program_caller(), output_form=True))
        try:
            output = original_output(tok, props, opts, None, package_ref)
        finally:
            _CURRENT.reset(context)
        shaped: pulumi.Output[Any] = output.apply(
            lambda value: _typed(_restore_unknowns(value), typ, _UnknownField)
        )
        return shaped

    saved = (pulumi.runtime.invoke, pulumi.runtime.invoke_output)
    module.invoke, module.invoke_output = invoke, invoke_output  # type: ignore[attr-defined]
    setattr(pulumi.runtime, "invoke", invoke)  # noqa: B010 - replaced for the run only
    setattr(pulumi.runtime, "invoke_output", invoke_output)  # noqa: B010
    try:
        yield
    finally:
        module.invoke, module.invoke_output = original_invoke, original_output  # type: ignore[attr-defined]
        setattr(pulumi.runtime, "invoke", saved[0])  # noqa: B010
        setattr(pulumi.runtime, "invoke_output", saved[1])  # noqa: B010


def _message(call: _Call | None, reason: str, token: str = "") -> str:
    token = call.token if call is not None else token
    where = f" called at {call.caller}" if call is not None and call.caller else ""
    return f"data source {token}{where} cannot be answered offline: {reason}"


# --- shaping a cloud lookup ---------------------------------------------------------------------

_PLACEMENT_WORDS = frozenset(
    {
        "region",
        "regions",
        "location",
        "locations",
        "zone",
        "zones",
        "arn",
        "arns",
        "id",
        "ids",
        "endpoint",
        "endpoints",
        "url",
        "urls",
        "uri",
        "uris",
        "host",
        "hosts",
        "hostname",
        "hostnames",
        "dns",
        "fqdn",
        "fqdns",
        "domain",
        "domains",
        "geo",
        "geography",
        "country",
        "datacenter",
        "placement",
        "az",
        "azs",
        # Network addresses locate what holds them (IP geolocation, a VPC's CIDR plan).
        "cidr",
        "cidrs",
        "ip",
        "ips",
        "address",
        "addresses",
    }
)
"""Words of a result field name that mark a value that could say where something is."""


def is_placement_field(name: str) -> bool:
    """Whether a result field (engine camelCase or Python snake_case) could carry a placement."""
    words = re.findall(r"[a-z0-9]+", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower())
    return any(word in _PLACEMENT_WORDS for word in words)


_MAX_DEPTH = 6


_SCALARS: dict[Any, Any] = {str: "offline-placeholder", bool: False, int: 0, float: 0.0}
"""Plausible values of the declared scalar types, for fields that carry no placement."""


def _placeholder(typ: Any, placement: bool, depth: int) -> Any:
    """A value of ``typ`` in engine form: unknown where it could carry a placement."""
    typ = _types.unwrap_optional_type(typ) if typ is not None else None
    origin = typing.get_origin(typ)
    if origin is typing.Union:
        members = [a for a in typing.get_args(typ) if a is not type(None)]
        typ = members[0] if members else None
        origin = typing.get_origin(typ)
    if origin in (list, Sequence, typing.Sequence, tuple) or typ is list:
        # One element, so that programs indexing `[0]` (zone names, subnet ids) read on.
        args = typing.get_args(typ)
        below = _placeholder(args[0] if args else None, placement, depth + 1)
        return [below] if depth < _MAX_DEPTH else []
    if origin in (dict, Mapping, typing.Mapping) or typ is dict:
        # Map keys are data (tags, names): none is invented.
        return {}
    if inspect.isclass(typ) and _types.is_output_type(typ):
        return shape(typ, depth=depth + 1) if depth < _MAX_DEPTH else None
    if inspect.isclass(typ) and issubclass(typ, enum.Enum):
        return UNKNOWN if placement else next(iter(typ)).value
    # An undeclared shape (`Any` is often a map or a list) gets None: nothing that fits is known.
    declared = typ is not None and typ is not Any
    return (
        UNKNOWN if placement and declared and typ not in (bool, int, float) else _SCALARS.get(typ)
    )


def shape(
    typ: type,
    args: Mapping[str, Any] | None = None,
    depth: int = 0,
    *,
    all_unknown: bool = False,
) -> dict[str, Any]:
    """The engine-form result of a cloud lookup whose SDK result type is ``typ``.

    A field named like one of the lookup's arguments echoes it, as a bridged provider returns its
    arguments among its results; a field that could carry a placement is ``UNKNOWN`` even then.
    ``all_unknown`` treats every field so: for a data source computed from a region that is
    itself unknown (the zones of an unknown region are all unknown, names included).
    """
    args = args or {}
    result: dict[str, Any] = {}
    for name, field_type in _types.output_type_types(typ).items():
        placement = all_unknown or is_placement_field(name)
        if name in args and args[name] is not None and not placement:
            result[name] = args[name]
        elif (
            _CREDENTIAL_FIELD.search(name)
            and not placement
            and _types.unwrap_optional_type(field_type) is str
        ):
            # A registry login token is base64 of `user:password` (ECR's GetAuthorizationToken),
            # which programs decode and split to log a Docker provider in; any other secret is
            # opaque, so the same value serves it.
            result[name] = _CREDENTIAL
        else:
            result[name] = _placeholder(field_type, placement, depth)
    return result


_CREDENTIAL_FIELD = re.compile(r"(?i)token|password")
_CREDENTIAL = "b2ZmbGluZTpwbGFjZWhvbGRlcg=="
"""A lookup's credential as a program may read it: base64 of ``offline:placeholder``."""


def result_type_for(token: str) -> type | None:
    """The SDK result type of a data source token, found in the installed provider SDK.

    ``aws:ec2/getAmi:getAmi`` is ``pulumi_aws.ec2.GetAmiResult``; ``aws:index/...`` lives at the
    package's top; ``azure-native:storage/v20230101:getX`` in ``storage.v20230101``.
    """
    parts = token.split(":")
    if len(parts) != 3 or not parts[2]:
        return None
    package, module, function = parts
    path = [p for p in module.split("/") if p]
    if path and path[-1].lower() == function.lower():
        path = path[:-1]
    if path == ["index"]:
        path = []
    name = "pulumi_" + package.replace("-", "_")
    try:
        found = importlib.import_module(".".join([name, *path]))
    except ImportError:
        return None
    candidate = getattr(found, function[:1].upper() + function[1:] + "Result", None)
    if inspect.isclass(candidate) and _types.is_output_type(candidate):
        return candidate
    return None


# --- data sources the providers compute locally -------------------------------------------------


@dataclass(frozen=True)
class Provider:
    """What a provider instance knows: its inputs, or the stack config of a default provider."""

    inputs: Mapping[str, Any]
    default: bool

    @classmethod
    def from_ref(cls, ref: str | None, known: Mapping[str, Mapping[str, Any]]) -> Provider:
        """The provider of an invoke's ``provider`` reference (``urn::id``).

        No reference means the default provider; so does one the program never registered whose
        name is the engine's ``default_<version>`` (the SDK may pass the default provider's ref).
        """
        if not ref:
            return cls({}, default=True)
        found = known.get(ref) or known.get(ref.rsplit("::", 1)[0])
        if found is not None:
            return cls(found, default=False)
        parts = ref.split("::")
        return cls({}, default=len(parts) > 3 and parts[3].startswith("default"))

    def aws_account(self, namespace: str = "aws") -> str:
        """The account the provider works in, as far as offline can know: the first of its
        ``allowedAccountIds`` (the provider refuses credentials of any other account,
        https://www.pulumi.com/registry/packages/aws/api-docs/provider/#allowed_account_ids; for
        the default provider the stack's ``aws:allowedAccountIds``), else the documented example
        account 123456789012."""
        given: Any = self.inputs.get("allowedAccountIds")
        if given is None and self.default:
            given = pulumi.runtime.get_config(f"{namespace}:allowedAccountIds")
        if isinstance(given, str):
            try:
                given = json.loads(given)
            except ValueError:
                given = [given]
        if isinstance(given, list) and given and isinstance(given[0], str) and given[0].isdigit():
            return given[0]
        return FAKE_AWS_ACCOUNT_ID

    def aws_region(self, args: Mapping[str, Any], namespace: str = "aws") -> str:
        # pulumi-aws v7: a data source's own `region` argument wins over the provider's region;
        # the default provider's region is the stack config `aws:region`. A region only in
        # AWS_REGION is not visible offline: unknown.
        region = args.get("region") or self.inputs.get("region")
        if not region and self.default:
            region = pulumi.runtime.get_config(f"{namespace}:region")
        return region if isinstance(region, str) and region and region != UNKNOWN else UNKNOWN


def _partition_of(region: str) -> tuple[str, str]:
    # Partitions by region prefix (aws-sdk-go-v2 internal/endpoints partitions.json).
    if region.startswith("cn-"):
        return ("aws-cn", "amazonaws.com.cn")
    if region.startswith("us-gov-"):
        return ("aws-us-gov", "amazonaws.com")
    if region.startswith("eusc-"):
        return ("aws-eusc", "amazonaws.eu")
    return ("aws", "amazonaws.com")


# pulumi-aws-native's provider functions answer from its own configuration and credentials, as
# pulumi-aws's do (provider/pkg/provider/provider.go: getAccountId calls STS, the others read the
# provider's region).
def _aws_native_get_account_id(
    args: Mapping[str, Any], provider: Provider
) -> dict[str, Any] | None:
    del args
    return {"accountId": provider.aws_account("aws-native")}


def _aws_native_region(provider: Provider) -> str | None:
    region = provider.aws_region({}, "aws-native")
    return None if region == UNKNOWN else region


def _aws_native_get_region(args: Mapping[str, Any], provider: Provider) -> dict[str, Any] | None:
    del args
    region = _aws_native_region(provider)
    return None if region is None else {"region": region}


def _aws_native_get_partition(args: Mapping[str, Any], provider: Provider) -> dict[str, Any] | None:
    del args
    region = _aws_native_region(provider)
    return None if region is None else {"partition": _partition_of(region)[0]}


def _aws_native_get_url_suffix(
    args: Mapping[str, Any], provider: Provider
) -> dict[str, Any] | None:
    del args
    region = _aws_native_region(provider)
    return None if region is None else {"urlSuffix": _partition_of(region)[1]}


def _aws_get_region(args: Mapping[str, Any], provider: Provider) -> dict[str, Any] | None:
    # terraform-provider-aws meta/region_data_source.go: the provider's (or the argued) region
    # and its EC2 endpoint, read from the SDK's endpoint data without a call.
    region = provider.aws_region(args) if not args.get("name") else str(args["name"])
    if region == UNKNOWN:
        return None
    _, suffix = _partition_of(region)
    return {
        "name": region,
        "region": region,
        "id": region,
        "endpoint": f"ec2.{region}.{suffix}",
        "description": region,
    }


def _aws_get_partition(args: Mapping[str, Any], provider: Provider) -> dict[str, Any] | None:
    # meta/partition_data_source.go: the partition of the provider's region. The partition says
    # where (aws-cn is China), so an unknown region leaves it unknown.
    region = provider.aws_region(args)
    if region == UNKNOWN:
        return None
    partition, suffix = _partition_of(region)
    return {
        "partition": partition,
        "dnsSuffix": suffix,
        "reverseDnsPrefix": ".".join(reversed(suffix.split("."))),
        "id": partition,
    }


def _aws_get_availability_zones(
    args: Mapping[str, Any], provider: Provider
) -> dict[str, Any] | None:
    # The zones of a region are named after it (<region>a, <region>b, ...); which ones exist is
    # a cloud read, so three are assumed. A region that is unknown makes its zones unknown.
    region = provider.aws_region(args)
    if region == UNKNOWN:
        return None
    return {
        "names": [f"{region}{z}" for z in "abc"],
        "zoneIds": [f"{region}-az{i}" for i in (1, 2, 3)],
        "groupNames": [region] * 3,
        "id": region,
        "region": region,
    }


def _aws_get_caller_identity(args: Mapping[str, Any], provider: Provider) -> dict[str, Any] | None:
    del args
    # An STS call in the cloud; offline the account is the provider's (Provider.aws_account).
    account = provider.aws_account()
    return {
        "accountId": account,
        "arn": f"arn:aws:iam::{account}:user/clover-offline",
        "id": account,
        "userId": "AIDACLOVEROFFLINE",
    }


def _aws_get_canonical_user_id(
    args: Mapping[str, Any], provider: Provider
) -> dict[str, Any] | None:
    del args
    # An S3 ListBuckets call in the cloud: the canonical user id (64 hex digits) of the account
    # the provider works in. Offline, one stand-in per account, the same for every call: a grant
    # to it is a grant to the bucket owner's account, as it will be.
    # https://docs.aws.amazon.com/AmazonS3/latest/userguide/finding-canonical-user-id.html
    account = provider.aws_account()
    return {
        "id": hashlib.sha256(f"canonical-user\0{account}".encode()).hexdigest(),
        "displayName": "",
    }


def _aws_get_arn(args: Mapping[str, Any], provider: Provider) -> dict[str, Any] | None:
    del provider
    # meta/arn_data_source.go parses the ARN with aws-sdk-go-v2's arn.Parse:
    # arn:partition:service:region:account-id:resource (the resource may contain colons).
    arn = args.get("arn")
    if not isinstance(arn, str):
        return None
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        raise UnanswerableInvokeError(
            _message(_CURRENT.get(), f"{arn!r} is not an ARN", "aws:index/getArn:getArn")
        )
    _, partition, service, region, account, resource = parts
    return {
        "arn": arn,
        "id": arn,
        "partition": partition,
        "service": service,
        "region": region,
        "account": account,
        "resource": resource,
    }


def _aws_get_billing_service_account(
    args: Mapping[str, Any], provider: Provider
) -> dict[str, Any] | None:
    del args, provider
    # meta/billing_service_account_data_source.go: a constant account (386209384616).
    return {"id": "386209384616", "arn": "arn:aws:iam::386209384616:root"}


def _azure_get_client_config(args: Mapping[str, Any], provider: Provider) -> dict[str, Any] | None:
    del args, provider
    # azure-native answers from its own credentials without an ARM call.
    return {
        "clientId": FAKE_AZURE_OBJECT_ID,
        "objectId": FAKE_AZURE_OBJECT_ID,
        "subscriptionId": FAKE_AZURE_SUBSCRIPTION_ID,
        "tenantId": FAKE_AZURE_TENANT_ID,
    }


def _azure_classic_get_client_config(
    args: Mapping[str, Any], provider: Provider
) -> dict[str, Any] | None:
    """pulumi-azure's and pulumi-azuread's client config: read from the provider's own
    credentials, no API call (azurerm ``client_config_data_source.go``, whose ``id`` is the
    time of the read)."""
    return {**(_azure_get_client_config(args, provider) or {}), "id": "clientConfigs/offline"}


# --- aws.iam.get_policy_document ----------------------------------------------------------------
# terraform-provider-aws internal/service/iam/policy_document_data_source.go and policy_model.go.


def _decode_string_list(values: Sequence[Any]) -> Any:
    # policyDecodeConfigStrings: the schema's sets drop duplicates; one element is a string,
    # several are sorted in reverse.
    unique = sorted({str(v) for v in values}, reverse=True)
    return unique[0] if len(unique) == 1 else unique


def _replace_vars(value: Any, version: str) -> Any:
    # `&{...}` spells an IAM policy variable `${...}` (dataSourcePolicyDocumentVarReplacer).
    def one(item: str) -> str:
        if version == "2008-10-17" and "&{" in item:
            raise UnanswerableInvokeError(
                _message(
                    _CURRENT.get(),
                    f"found &{{ sequence in ({item}), which is not supported in document "
                    "version 2008-10-17",
                    "aws:iam/getPolicyDocument:getPolicyDocument",
                )
            )
        return item.replace("&{", "${")

    return one(value) if isinstance(value, str) else [one(v) for v in value]


def _principals_json(principals: Sequence[tuple[str, Any]]) -> Any:
    # iamPolicyStatementPrincipalSet.MarshalJSON: only {"*": "*"} collapses to "*"; identifier
    # lists are sorted in reverse; a type given twice gathers its identifiers.
    if len(principals) == 1 and principals[0][0] == "*" and principals[0][1] in ("*", ["*"]):
        return "*"
    raw: dict[str, Any] = {}
    for type_, identifiers in principals:
        existing = raw.get(type_)
        if isinstance(identifiers, list):
            merged = (
                [] if existing is None else ([existing] if isinstance(existing, str) else existing)
            )
            raw[type_] = merged + sorted(identifiers, reverse=True)
        elif existing is None:
            raw[type_] = identifiers
        elif isinstance(existing, str):
            raw[type_] = [existing, identifiers]
        else:
            existing.append(identifiers)
    return {k: raw[k] for k in sorted(raw)}


def _conditions_json(conditions: Sequence[tuple[str, str, Any]]) -> dict[str, Any]:
    # iamPolicyStatementConditionSet.MarshalJSON: test -> variable -> values, values in order,
    # a single value flattened to a string; Go writes map keys sorted.
    raw: dict[str, dict[str, list[str]]] = {}
    for test, variable, values in conditions:
        bucket = raw.setdefault(test, {}).setdefault(variable, [])
        bucket.extend(values if isinstance(values, list) else [values])
    return {
        test: {
            v: (items[0] if len(items) == 1 else items) for v, items in sorted(raw[test].items())
        }
        for test in sorted(raw)
    }


def _statement_json(statement: Mapping[str, Any]) -> dict[str, Any]:
    # Field order and omitempty of iamPolicyStatement.
    out: dict[str, Any] = {}
    for key in ("Sid", "Effect", "Action", "NotAction", "Resource", "NotResource"):
        value = statement.get(key)
        if value not in (None, "", []):
            out[key] = value
    for key in ("Principal", "NotPrincipal"):
        if statement.get(key):
            out[key] = _principals_json(statement[key])
    if statement.get("Condition"):
        out["Condition"] = _conditions_json(statement["Condition"])
    return out


def _parse_document(text: str, index: int, kind: str) -> dict[str, Any]:
    """A source or override document, read as the provider's UnmarshalJSON reads it."""
    try:
        doc = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise UnanswerableInvokeError(
            _message(
                _CURRENT.get(),
                f"merging {kind} document {index}: {exc}",
                "aws:iam/getPolicyDocument:getPolicyDocument",
            )
        ) from exc
    statements = doc.get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    parsed = []
    for raw in statements:
        statement = {
            k: raw.get(k)
            for k in ("Sid", "Effect", "Action", "NotAction", "Resource", "NotResource")
        }
        for key in ("Principal", "NotPrincipal"):
            value = raw.get(key)
            if isinstance(value, str):
                statement[key] = [("*", ["*"])]
            elif isinstance(value, dict):
                statement[key] = [
                    (k, sorted(v) if isinstance(v, list) else v) for k, v in value.items()
                ]
        condition = raw.get("Condition")
        if isinstance(condition, dict):
            statement["Condition"] = [
                (test, variable, "true" if v is True else "false" if v is False else v)
                for test, variables in condition.items()
                for variable, v in variables.items()
            ]
        parsed.append(statement)
    return {"Version": doc.get("Version") or "", "Id": doc.get("Id") or "", "Statement": parsed}


def _merge(into: dict[str, Any], new: Mapping[str, Any]) -> None:
    # iamPolicyDoc.Merge: adopt the Id, upgrade the Version, statements with a Sid replace the
    # statement of that Sid, the others are appended.
    if new.get("Id"):
        into["Id"] = new["Id"]
    if new.get("Version", "") > into.get("Version", ""):
        into["Version"] = new["Version"]
    statements = into.setdefault("Statement", [])
    for statement in new.get("Statement") or []:
        sid = statement.get("Sid")
        for i, existing in enumerate(statements):
            if sid and existing.get("Sid") == sid:
                statements[i] = statement
                break
        else:
            statements.append(statement)


def _go_json(value: Any, indent: int | None) -> str:
    separators = (",", ": ") if indent else (",", ":")
    text = json.dumps(value, indent=indent, separators=separators, ensure_ascii=False)
    # encoding/json escapes HTML-sensitive characters and the JS line separators.
    for char, escaped in (
        ("&", "\\u0026"),
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escaped)
    return text


def _config_statement(raw: Mapping[str, Any], version: str) -> dict[str, Any]:
    """One `statement` block of the data source's own configuration."""
    statement: dict[str, Any] = {
        "Sid": raw.get("sid") or "",
        "Effect": raw.get("effect") or "Allow",
    }
    if raw.get("actions"):
        statement["Action"] = _decode_string_list(raw["actions"])
    if raw.get("notActions"):
        statement["NotAction"] = _decode_string_list(raw["notActions"])
    if raw.get("resources"):
        statement["Resource"] = _replace_vars(_decode_string_list(raw["resources"]), version)
    if raw.get("notResources"):
        statement["NotResource"] = _replace_vars(_decode_string_list(raw["notResources"]), version)
    for key, out in (("principals", "Principal"), ("notPrincipals", "NotPrincipal")):
        if raw.get(key):
            statement[out] = [
                (
                    p["type"],
                    _replace_vars(_decode_string_list(p.get("identifiers") or []), version),
                )
                for p in raw[key]
            ]
    if raw.get("conditions"):
        conditions = []
        for c in raw["conditions"]:
            values = _replace_vars([str(v) for v in c.get("values") or []], version)
            conditions.append((c["test"], c["variable"], values[0] if len(values) == 1 else values))
        statement["Condition"] = conditions
    return statement


def policy_document(args: Mapping[str, Any]) -> dict[str, Any]:
    """``aws:iam/getPolicyDocument:getPolicyDocument`` computed as the AWS provider does."""
    version = args.get("version") or "2012-10-17"
    merged: dict[str, Any] = {}
    sids: set[str] = set()
    for index, text in enumerate(args.get("sourcePolicyDocuments") or []):
        if text is None:
            continue
        source = _parse_document(text, index, "source")
        for statement in source["Statement"]:
            sid = statement.get("Sid")
            if sid and sid in sids:
                raise UnanswerableInvokeError(
                    _message(
                        _CURRENT.get(),
                        f"merging source document {index}: duplicate Sid ({sid}) in "
                        "source_policy_documents",
                        "aws:iam/getPolicyDocument:getPolicyDocument",
                    )
                )
            if sid:
                sids.add(sid)
        _merge(merged, source)
    statements = [_config_statement(raw, version) for raw in args.get("statements") or []]
    _merge(merged, {"Version": version, "Id": args.get("policyId") or "", "Statement": statements})
    for index, text in enumerate(args.get("overridePolicyDocuments") or []):
        if text is not None:
            _merge(merged, _parse_document(text, index, "override"))
    document: dict[str, Any] = {}
    if merged.get("Version"):
        document["Version"] = merged["Version"]
    if merged.get("Id"):
        document["Id"] = merged["Id"]
    if merged.get("Statement"):
        document["Statement"] = [_statement_json(s) for s in merged["Statement"]]
    pretty = _go_json(document, indent=2)
    return {
        **{k: v for k, v in args.items() if v is not None},
        "version": version,
        "json": pretty,
        "minifiedJson": _go_json(document, indent=None),
        # d.SetId(strconv.Itoa(create.StringHashcode(jsonString))): CRC-32 of the JSON.
        "id": str(zlib.crc32(pretty.encode())),
    }


def _aws_get_policy_document(args: Mapping[str, Any], provider: Provider) -> dict[str, Any] | None:
    del provider
    return policy_document(args)


def _kubernetes_yaml_decode(args: Mapping[str, Any], provider: Provider) -> dict[str, Any] | None:
    """``kubernetes:yaml:decode``: the kubernetes provider splits the text into its YAML documents
    and returns the non-empty ones, locally (provider/pkg/provider/invoke_decode_yaml.go);
    ``pulumi_kubernetes.yaml.ConfigGroup``/``ConfigFile`` build their resources from them. PyYAML
    is a dependency of the ``pulumi`` SDK itself, so it is there wherever the program runs."""
    del provider
    text = args.get("text")
    if not isinstance(text, str) or UNKNOWN in text:
        return None
    try:
        documents = [doc for doc in yaml.safe_load_all(text) if doc is not None]
    except yaml.YAMLError as err:
        # The provider fails the invoke on text that does not parse; so does a real preview.
        raise UnanswerableInvokeError(
            _message(_CURRENT.get(), f"its YAML does not parse: {err}", "kubernetes:yaml:decode")
        ) from None
    return {"result": documents}


_LOCAL: dict[str, Callable[[Mapping[str, Any], Provider], dict[str, Any] | None]] = {
    "kubernetes:yaml:decode": _kubernetes_yaml_decode,
    "aws:iam/getPolicyDocument:getPolicyDocument": _aws_get_policy_document,
    "aws:index/getRegion:getRegion": _aws_get_region,
    "aws-native:index:getAccountId": _aws_native_get_account_id,
    "aws-native:index:getRegion": _aws_native_get_region,
    "aws-native:index:getPartition": _aws_native_get_partition,
    "aws-native:index:getUrlSuffix": _aws_native_get_url_suffix,
    "aws:index/getPartition:getPartition": _aws_get_partition,
    "aws:index/getAvailabilityZones:getAvailabilityZones": _aws_get_availability_zones,
    "aws:index/getCallerIdentity:getCallerIdentity": _aws_get_caller_identity,
    "aws:s3/getCanonicalUserId:getCanonicalUserId": _aws_get_canonical_user_id,
    "aws:index/getArn:getArn": _aws_get_arn,
    "aws:index/getBillingServiceAccount:getBillingServiceAccount": _aws_get_billing_service_account,
    "azure-native:authorization:getClientConfig": _azure_get_client_config,
    "azure:core/getClientConfig:getClientConfig": _azure_classic_get_client_config,
    "azuread:index/getClientConfig:getClientConfig": _azure_classic_get_client_config,
}
"""Data sources answered by computing them; a handler returns None when its inputs (the region)
are unknown, and the lookup is then shaped with unknowns."""


def computed_tokens() -> frozenset[str]:
    return frozenset(_LOCAL)


def answer(
    token: str,
    args: Mapping[str, Any],
    provider: Provider,
    record: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The engine-form result of data source ``token``; raises :class:`UnanswerableInvokeError`.

    ``record`` receives one JSON-serializable entry per answer: token, how, caller, and the
    fields left unknown.
    """
    call = _CURRENT.get()
    if call is not None and call.token != token:
        call = None
    args = cast(Mapping[str, Any], _marker_to_sentinel(args))
    handler = _LOCAL.get(token)
    computed = handler(args, provider) if handler is not None else None
    how = COMPUTED
    result = computed
    if result is None:
        typ = call.typ if call is not None and call.typ is not None else result_type_for(token)
        if typ is None:
            raise UnanswerableInvokeError(
                _message(
                    call,
                    "no result type is known for it (its provider SDK is not installed, or it "
                    "was invoked without typ=)",
                    token,
                )
            )
        # A data source computed locally but from a region that is unknown knows nothing else.
        result = shape(typ, args, all_unknown=handler is not None)
        how = SHAPED
    if record is not None:
        record.append(
            {
                "token": token,
                "how": how,
                "caller": call.caller if call is not None else None,
                "unknown": sorted(k for k, v in result.items() if _contains_sentinel(v)),
            }
        )
    if call is not None and call.output_form:
        return cast(dict[str, Any], _sentinel_to(result, _OUTPUT_UNKNOWN))
    return result


def _sentinel_to(value: Any, marker: str) -> Any:
    if isinstance(value, str):
        return marker if value == UNKNOWN else value
    if isinstance(value, dict):
        return {k: _sentinel_to(v, marker) for k, v in value.items()}
    if isinstance(value, list):
        return [_sentinel_to(v, marker) for v in value]
    return value


def _mark_plain(value: Any) -> Any:
    """The sentinel string replaced by :data:`_PLAIN_UNKNOWN` in plain dicts and lists only:
    input-type objects (dict subclasses that carry their wire names) are left as they are."""
    if isinstance(value, str):
        return _PLAIN_UNKNOWN if value == UNKNOWN else value
    if type(value) is dict:
        return {k: _mark_plain(v) for k, v in value.items()}
    if type(value) is list:
        return [_mark_plain(v) for v in value]
    return value


def _marker_to_sentinel(value: Any) -> Any:
    if isinstance(value, str):
        return UNKNOWN if value == _PLAIN_UNKNOWN else value
    if isinstance(value, Mapping):
        return {k: _marker_to_sentinel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_marker_to_sentinel(v) for v in value]
    return value


def _contains_sentinel(value: Any) -> bool:
    if isinstance(value, str):
        return value == UNKNOWN
    if isinstance(value, dict):
        return any(_contains_sentinel(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_sentinel(v) for v in value)
    return False
