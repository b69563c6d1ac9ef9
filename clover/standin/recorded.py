"""One resource registration as the engine would see it: what the program's process reports and
the check places and analyzes. Plain data, importable without the Pulumi SDK, so the check can
start the program's interpreter before it imports anything heavy."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RecordedResource:
    """One resource registration, as the engine would see it."""

    urn: str
    type: str
    name: str
    custom: bool
    inputs: Mapping[str, Any]
    """Engine form: camelCase keys, ``UNKNOWN`` for preview unknowns, secrets unwrapped."""
    provider: str | None
    """The provider reference ``<urn>::<id>``; also set when inherited from a parent's providers."""
    parent: str | None
    protect: bool
    retain_on_delete: bool
    dependencies: tuple[str, ...]
    property_dependencies: Mapping[str, tuple[str, ...]]
    id: str | None
    source: tuple[str, int] | None = None
    """The program file and line that created the resource, as the SDK reports it."""
    arguments: tuple[str, ...] | None = None
    """The placement arguments (``region``, ``location``) the resource's SDK class takes, as the
    program's process found them (it has the SDK loaded); None when not reported."""
    proofs: Mapping[str, str] = field(default_factory=dict)
    """Input paths whose unknown value is exactly another resource's output: path ->
    ``<urn>#<output>`` (provenance.py). A path not listed holds a literal or a derived value."""
    remote: bool = False
    """A multi-language component: its provider's plugin constructs its children, which the
    offline check cannot run (clover/placement.py places it by the provider they inherit)."""
    providers: Mapping[str, str] = field(default_factory=dict)
    """The providers map (package -> provider reference) it passes to its children."""
    hooks: tuple[str, ...] = ()
    """The resource hooks bound to it, ``<phase>:<hook name>`` (``after_create:replicate``):
    the program's own code, which the engine runs at deployment and no analyzer sees."""

    @property
    def placed_as_resource(self) -> bool:
        """A custom resource, or a remote component standing for the children its plugin would
        construct: shown and judged with a placement of its own."""
        return self.custom or self.remote

    @property
    def provider_urn(self) -> str | None:
        """The URN part of the provider reference."""
        if not self.provider:
            return None
        return self.provider.rsplit("::", 1)[0]

    @property
    def is_provider(self) -> bool:
        return self.type.startswith("pulumi:providers:")
