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

``clover/placement.py`` applies the same defaults to what the policy packs are sent; this module
is its half that runs inside the program's own interpreter (standard library and ``pulumi`` only).
"""

from __future__ import annotations

import functools
import importlib
import inspect
import keyword
import re
from collections.abc import Mapping
from typing import Any

from pulumi.runtime import rpc

UNKNOWN = rpc.UNKNOWN

_ROOTS = {"aws": "pulumi_aws", "azure-native": "pulumi_azure_native"}
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


@functools.cache
def takes_argument(type_: str, argument: str) -> bool:
    """Whether the SDK class for ``type_`` accepts ``argument`` (``region``, ``location``).

    Read from the installed provider SDK, so that a global-service type (no ``region`` argument in
    pulumi-aws v7) or an Azure sub-resource (no ``location``) is never given one.
    """
    package, module, name = [*type_.split(":"), "", ""][:3]
    root = _ROOTS.get(package)
    if root is None or not name:
        return False
    first = module.split("/")[0]
    parts = [root] if first == "index" else [root, *module.split("/")[:1]]
    if package == "azure-native" and "/" in module:
        parts.append(module.split("/")[1])
    # The SDK generator suffixes a module named by a Python keyword: ``aws:lambda/...`` lives in
    # ``pulumi_aws.lambda_`` (pulumi codegen python: ``PyName`` of a keyword gets a trailing "_").
    parts = [f"{part}_" if keyword.iskeyword(part) else part for part in parts]
    try:
        cls = getattr(importlib.import_module(".".join(parts)), name)
        init = cls._internal_init
    except (ImportError, AttributeError):
        return False
    snake = _CAMEL.sub("_", argument).lower()
    return snake in inspect.signature(init).parameters


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
