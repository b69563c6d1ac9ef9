"""What the providers fill in during ``Check``, as far as a program can read it back at preview.

Mocks do not run a provider's ``Check``, so a resource's outputs would echo its inputs only. The
providers fill some inputs from their own configuration before the preview shows them, and a
program reads those back as known outputs (``location=account.location``):

- pulumi-aws v7: a resource with a ``region`` argument gets the provider's ``region`` when it has
  none of its own (for the default provider, the stack's ``aws:region``).
  https://www.pulumi.com/registry/packages/aws/how-to-guides/multi-region-v7/
- pulumi-azure-native v3: a resource with a ``location`` argument and none of its own gets the
  provider's ``location`` (for the default provider ``azure-native:location``), else its resource
  group's location; it is unknown when the resource group cannot be identified.
  https://www.pulumi.com/registry/packages/azure-native/installation-configuration/
- pulumi-gcp: a resource with a ``project``, ``region`` or ``zone`` argument and none of its own
  gets the provider's (for the default provider ``gcp:project``/``gcp:region``/``gcp:zone``): the
  Google provider's ``DefaultProviderProject``/``DefaultProviderRegion``/``DefaultProviderZone``
  plan modifiers set them in the plan, so a preview shows them.
  https://github.com/hashicorp/terraform-provider-google (tpgresource/utils.go)
- pulumi-azure (classic): a resource group without a ``location`` gets the provider's
  ``location`` (for the default provider ``azure:location``), the bridge's ``DefaultInfo{Config:
  azureLocation}`` for ``azurerm_resource_group`` in the provider's resources.go.

``clover/placement.py`` applies the same defaults to what the policy packs are sent; this module
is its half that runs inside the program's own interpreter (standard library and ``pulumi`` only).
"""

from __future__ import annotations

import collections.abc
import functools
import hashlib
import importlib
import inspect
import keyword
import re
import typing
from collections.abc import Mapping
from typing import Any, Final

from pulumi._types import is_output_type
from pulumi.runtime import rpc

UNKNOWN = rpc.UNKNOWN

_ROOTS = {"aws": "pulumi_aws", "azure-native": "pulumi_azure_native", "gcp": "pulumi_gcp"}
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


@functools.cache
def sdk_class(type_: str) -> type | None:
    """The installed SDK's class for a resource type token, or None when it cannot be found.

    ``aws:s3/bucket:Bucket`` lives in ``pulumi_aws.s3``, ``azure-native:storage:StorageAccount``
    in ``pulumi_azure_native.storage``, ``kubernetes:apps/v1:Deployment`` in
    ``pulumi_kubernetes.apps.v1``: the package's module, then the token's module path (its first
    segment for bridged providers, every segment for others).
    """
    package, module, name = [*type_.split(":"), "", ""][:3]
    if not package or not name or package == "pulumi":
        return None
    root = _ROOTS.get(package, "pulumi_" + package.replace("-", "_"))
    segments = module.split("/") if module else []
    if segments[:1] == ["index"]:
        segments = []  # a bridged provider's top-level type: ``random:index/randomString:...``
    # The SDK generator suffixes a module named by a Python keyword: ``aws:lambda/...`` lives in
    # ``pulumi_aws.lambda_`` (pulumi codegen python: ``PyName`` of a keyword gets a trailing "_").
    segments = [f"{part}_" if keyword.iskeyword(part) else part for part in segments]
    # pulumi-kubernetes names a module by its API group's first label: ``helm.sh/v4`` lives in
    # ``pulumi_kubernetes.helm.v4``, ``networking.k8s.io/v1`` in ``...networking.v1``.
    segments = [part.split(".", 1)[0] for part in segments]
    for depth in sorted({min(1, len(segments)), len(segments)}):
        try:
            found = getattr(importlib.import_module(".".join([root, *segments[:depth]])), name)
        except (ImportError, AttributeError, ValueError):
            continue
        if isinstance(found, type):
            return found
    return None


@functools.cache
def takes_argument(type_: str, argument: str) -> bool:
    """Whether the SDK class for ``type_`` accepts ``argument`` (``region``, ``location``).

    Read from the installed provider SDK, so that a global-service type (no ``region`` argument in
    pulumi-aws v7) or an Azure sub-resource (no ``location``) is never given one.
    """
    package = type_.split(":", 1)[0]
    cls = sdk_class(type_) if package in _ROOTS else None
    init = getattr(cls, "_internal_init", None)
    if init is None:
        return False
    snake = _CAMEL.sub("_", argument).lower()
    return snake in inspect.signature(init).parameters


_SCALARS: Final = (str, int, float, bool)


@functools.cache
def scalar_outputs(type_: str) -> dict[str, type]:
    """The engine names (camelCase) of the SDK class's outputs typed ``Output[str]``,
    ``Output[int]``, ``Output[float]``, ``Output[bool]`` or a list of strings (optional or not),
    each with its type (``list`` for the last), read from its property getters; empty when the
    class is unknown."""
    cls = sdk_class(type_)
    if cls is None:
        return {}
    found: dict[str, type] = {}
    for attribute in vars(cls).values():
        getter = attribute.fget if isinstance(attribute, property) else None
        engine_name = getattr(getter, "_pulumi_name", None)
        if getter is None or not isinstance(engine_name, str):
            continue
        annotation = getter.__annotations__.get("return")
        if "outputs." in str(annotation):
            # An output type named as a string (`Sequence['outputs.ServiceStatus']`): resolved in
            # the SDK module's namespace.
            try:
                annotation = typing.get_type_hints(getter).get("return")
            except (NameError, AttributeError, TypeError):
                continue
        (inner,) = typing.get_args(annotation) or (None,)
        # `Optional[X]` is `Union[X, None]`: its one non-None member.
        members = (
            [m for m in typing.get_args(inner) if m is not type(None)]
            if typing.get_origin(inner) is typing.Union
            else [inner]
        )
        if len(members) != 1:
            continue
        (member,) = members
        if member in _SCALARS:
            found[engine_name] = member
        elif _is_output_type(member):
            found[engine_name] = dict  # an object: its fields read as unset
        elif typing.get_origin(member) in (list, collections.abc.Sequence):
            (item,) = typing.get_args(member) or (None,)
            if item is str:
                found[engine_name] = list  # a list of strings: ids, endpoints, addresses
            elif _is_output_type(item):
                found[engine_name] = tuple  # a list of objects: `statuses[0].url` works
    return found


@functools.cache
def output_names(type_: str) -> tuple[str, ...]:
    """The engine names of every output the SDK class declares; empty when it is unknown."""
    cls = sdk_class(type_)
    if cls is None:
        return ()
    return tuple(
        name
        for attribute in vars(cls).values()
        if isinstance(attribute, property)
        and isinstance(name := getattr(attribute.fget, "_pulumi_name", None), str)
    )


def _is_output_type(member: Any) -> bool:
    return isinstance(member, type) and is_output_type(member)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value and value != UNKNOWN else None


def aws_region(
    inputs: Mapping[str, Any], provider: Mapping[str, Any] | None, config: Mapping[str, Any]
) -> str:
    """A pulumi-aws v7 resource's ``region``: its own, else its provider's, else ``UNKNOWN``.

    ``provider`` is the explicit provider's inputs, None for the default provider (configured by
    the stack's ``aws:region``).
    """
    own = inputs.get("region")
    if own is not None:
        return _text(own) or UNKNOWN
    source = provider if provider is not None else {"region": config.get("aws:region")}
    return _text(source.get("region")) or UNKNOWN


def azure_location(
    inputs: Mapping[str, Any],
    provider: Mapping[str, Any] | None,
    config: Mapping[str, Any],
    group_locations: Mapping[str, str],
) -> str:
    """An azure-native resource's ``location``: its own, the provider's, its group's, or unknown.

    ``group_locations`` maps the names of the stack's resource groups to their locations.
    """
    own = inputs.get("location")
    if own is not None:
        return _text(own) or UNKNOWN
    source = provider if provider is not None else {"location": config.get("azure-native:location")}
    provider_location = _text(source.get("location"))
    if provider_location:
        return provider_location
    group = _text(inputs.get("resourceGroupName"))
    return group_locations.get(group, UNKNOWN) if group else UNKNOWN


def azure_classic_group_location(
    inputs: Mapping[str, Any], provider: Mapping[str, Any] | None, config: Mapping[str, Any]
) -> str:
    """A pulumi-azure resource group's ``location``: its own, else its provider's, else unknown."""
    own = inputs.get("location")
    if own is not None:
        return _text(own) or UNKNOWN
    source = provider if provider is not None else {"location": config.get("azure:location")}
    return _text(source.get("location")) or UNKNOWN


STAND_IN_SUFFIX = ".stand-in.invalid"
"""The stand-in values of computed string outputs in the evidence run end with this: ``.invalid``
is reserved and never resolves (RFC 2606), so a stand-in can never be taken for a real host."""


def stand_in_digest(type_: str, name: str) -> str:
    """The label that names a resource in its outputs' stand-in values."""
    return hashlib.sha256(f"{type_}\0{name}".encode()).hexdigest()[:16]


def stand_in_value(type_: str, name: str, output: str) -> str:
    """The evidence run's value of a computed string output: ``<output>.<digest>`` plus
    :data:`STAND_IN_SUFFIX`, a host name the residency pack places at the resource it names."""
    label = re.sub(r"[^a-z0-9-]", "-", output.lower())[:40] or "output"
    return f"{label}.{stand_in_digest(type_, name)}{STAND_IN_SUFFIX}"


STAND_IN_SCALARS: Final[Mapping[type, Any]] = {int: 1, float: 1.0, bool: False}
"""The evidence run's value of a computed number or flag (a database's ``port``, a queue's
``fifoQueue``): any value of the declared type lets a program compute on it (``str(int(db.port))``)
as it does once the resource exists; none of them names a place."""


GCP_DEFAULTED: tuple[str, ...] = ("project", "region", "zone")
"""The pulumi-gcp arguments its provider fills from its own configuration in the plan."""


def gcp_defaults(
    type_: str,
    inputs: Mapping[str, Any],
    provider: Mapping[str, Any] | None,
    config: Mapping[str, Any],
) -> dict[str, str]:
    """The ``project``/``region``/``zone`` a pulumi-gcp resource given none of its own gets from
    its provider (for the default provider the stack's ``gcp:`` keys); unknown ones are left out."""
    source = (
        provider if provider is not None else {k: config.get(f"gcp:{k}") for k in GCP_DEFAULTED}
    )
    filled: dict[str, str] = {}
    for argument in GCP_DEFAULTED:
        if inputs.get(argument) is None and takes_argument(type_, argument):
            value = _text(source.get(argument))
            if value is not None:
                filled[argument] = value
    return filled
