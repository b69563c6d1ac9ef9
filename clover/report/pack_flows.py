"""The data flows exactly as the residency pack's data-flow rule resolved them, for the report.

The evidence report must draw what the packs decided, so that the auditor's picture and the
verdict can never disagree. A pack answers only with violations, so the report runs the rule's own
resolver (``policy_packs/eu_residency/data_flow.py`` ``resolve_flows``) on the same resources, with
the same provider inputs and the same configuration (evidence included) that the pack was sent:
the same code on the same inputs, so every flow it found, allowed or not, and how each one was
proven. The pack's modules are imported in isolation (its directory first on ``sys.path``, its
top-level module names restored afterwards), since they are written for the pack's own process.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Final

from clover.check import CheckResult, to_analyzed
from clover.project import stack_config

DATA_FLOW_POLICY: Final = "data-flow-destination-allowed"


@dataclass(frozen=True, kw_only=True)
class PackFlow:
    """One outbound reference as the data-flow rule resolved it."""

    source: str
    """The URN of the resource that sends the data."""
    path: str
    value: Any
    destination: str | None
    """The URN of the stack resource it goes to; None for a place outside the stack."""
    cloud: str | None
    place: str | None
    """The region or location of a destination outside the stack, when one is named."""
    how: str
    allowed: bool
    problem: str | None


@contextlib.contextmanager
def _isolated(directory: Path) -> Iterator[dict[str, ModuleType]]:
    before = dict(sys.modules)
    sys.path.insert(0, str(directory))
    own = {p.stem for p in directory.glob("*.py") if p.stem != "__main__"}
    for name in own:
        sys.modules.pop(name, None)  # a module of the same name from elsewhere
    try:
        yield {}
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(str(directory))
        for name in own:
            sys.modules.pop(name, None)
            if name in before:
                sys.modules[name] = before[name]


def _place(place: Any) -> tuple[str | None, str | None]:
    value = getattr(place, "value", None)
    return getattr(place, "cloud", None), value if isinstance(value, str) else None


def pack_flows(result: CheckResult) -> list[PackFlow] | None:
    """Every flow the data-flow rule resolved in this run; None when no pack of the run has it."""
    for index, run in enumerate(result.packs):
        if not (run.directory / "data_flow.py").is_file() or index >= len(result.pack_configs):
            continue
        policy = result.pack_configs[index].get(DATA_FLOW_POLICY)
        if not isinstance(policy, Mapping):
            continue
        config = {k: v for k, v in policy.items() if k != "enforcementLevel"}
        return _resolve(run.directory, result, config, result.pack_configs[index])
    return None


def _resolve(
    directory: Path,
    result: CheckResult,
    config: Mapping[str, Any],
    pack_config: Mapping[str, Any],
) -> list[PackFlow]:
    analyzed = to_analyzed(
        result.project,
        result.stack,
        result.placed,
        stack_config(result.project, result.stack),
    )
    dependencies = {p.resource.urn: p.resource.property_dependencies for p in result.placed}
    with _isolated(directory):
        data_flow = importlib.import_module("data_flow")
        common = importlib.import_module("residency_common")
        declared = importlib.import_module("external_resources")
        # The declarations hold pack-wide, as the pack's Configure reads them.
        declared.set_pack_declarations(declared.declarations_of(pack_config))
        stack: Sequence[Any] = [
            common.StackResource(
                urn=a.urn,
                type=a.type,
                name=a.name,
                props=dict(a.properties),
                provider_props=dict(a.provider.properties) if a.provider is not None else {},
                property_dependencies=dict(dependencies.get(a.urn, {})),
            )
            for a in analyzed
        ]
        resolved = data_flow.resolve_flows(stack, config)
    flows = []
    for flow in resolved:
        if getattr(flow.place, "neutral", False):
            continue  # a reference that designates no place (a role definition, a DNS zone)
        cloud, place = _place(flow.place)
        flows.append(
            PackFlow(
                source=flow.urn,
                path=flow.path,
                value=flow.value,
                destination=flow.destination,
                cloud=cloud,
                place=place,
                how=flow.how,
                allowed=flow.problem is None,
                problem=flow.problem,
            )
        )
    return flows
