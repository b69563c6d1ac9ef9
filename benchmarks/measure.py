"""One measurement, run in a fresh process so peak memory belongs to it alone.

    python benchmarks/measure.py floor-mocks DIR   # the program under the SDK's default mocks
    python benchmarks/measure.py stand-in DIR      # Clover's engine stand-in, recording, no packs
    python benchmarks/measure.py check DIR         # the whole offline check (both packs)
    python benchmarks/measure.py check-2 DIR       # one check of stacks bench and bench2
    python benchmarks/measure.py rules DIR         # the packs' rule functions in-process

Prints one JSON line: seconds (wall), peak_mb (this process), children_peak_mb (largest child
process: the program's interpreter or a policy pack), resources.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import resource
import runpy
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from google.protobuf import json_format
from pulumi.runtime.mocks import MockMonitor

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _peak_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


class _FloorMonitor(MockMonitor):
    """The SDK's mock monitor, keeping only provider inputs so data sources answer per region."""

    def __init__(self, mocks: Any) -> None:
        super().__init__(mocks)
        self.provider_inputs: dict[str, Any] = {}
        from clover.standin.engine import Recording

        # Where RecordingMocks notes the data sources it answered; nothing else is recorded.
        self.recording = Recording(project="bench", stack="bench")

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type.startswith("pulumi:providers:"):
            inputs = json_format.MessageToDict(request.object)
            self.provider_inputs[response.urn] = inputs
            self.provider_inputs[f"{response.urn}::{response.id}"] = inputs
        return response


def floor_mocks(directory: Path) -> int:
    """The SDK's own mock monitor and engine, with nothing recorded or checked.

    Mocks answer only what the program needs in order to run at all: inputs echoed as outputs
    (in the shapes azure-native returns) and the common data sources. That is Clover's
    ``RecordingMocks`` without a recording monitor, and without the stand-in's SDK speedups.
    """
    import pulumi
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    from clover.project import load_project, stack_config
    from clover.standin.engine import RecordingMocks

    project = load_project(directory)
    pulumi.runtime.set_all_config(stack_config(project, "bench"))
    asyncio.set_event_loop(asyncio.new_event_loop())
    os.chdir(directory)
    sys.path.insert(0, str(directory))
    mocks = RecordingMocks(preview=True)
    monitor = _FloorMonitor(mocks)
    mocks.monitor = monitor  # type: ignore[assignment]
    pulumi.runtime.set_mocks(
        mocks, project=project.name, stack="bench", preview=True, monitor=monitor
    )

    def program() -> None:
        runpy.run_path(str(project.main), run_name="__main__")

    _sync_await(run_pulumi_func(program))
    return len(monitor.resources)


def stand_in(directory: Path) -> int:
    """Clover's engine stand-in alone: the program run, every registration recorded, no packs."""
    from clover.check import run_project
    from clover.project import load_project, stack_config

    project = load_project(directory)
    return len(run_project(project, "bench", stack_config(project, "bench")).resources)


def check(directory: Path) -> int:
    from clover.check import check as run_check

    result = run_check(cwd=directory, stack="bench")
    if result.incomplete:
        raise SystemExit(f"benchmark program did not finish: {result.incomplete}")
    misplaced = [d for d in result.mandatory if d.policy_pack == "eu-residency"]
    if misplaced:
        raise SystemExit(f"benchmark program is misplaced: {misplaced[0].message}")
    return len(result.placed)


def check_two(directory: Path) -> int:
    """Two stacks in one invocation: the packs and the program's interpreter start once."""
    from clover.check import check_stacks

    results = check_stacks(cwd=directory, stacks=["bench", "bench2"])
    for result in results:
        if result.incomplete or any(d.policy_pack == "eu-residency" for d in result.mandatory):
            raise SystemExit(f"benchmark stack {result.stack} did not check cleanly")
    return sum(len(r.placed) for r in results)


def _pack_policies(pack_dir: Path) -> list[Any]:
    """Every policy object defined at module level in a pack's rule modules."""
    from pulumi_policy import ResourceValidationPolicy, StackValidationPolicy

    sys.path.insert(0, str(pack_dir))
    found: list[Any] = []
    for module_file in sorted(pack_dir.glob("*.py")):
        if module_file.stem == "__main__":
            continue  # constructing PolicyPack starts a server
        module = importlib.import_module(module_file.stem)
        # Rule modules export their policies in a POLICIES list, which __main__.py wires up.
        for value in getattr(module, "POLICIES", ()):
            if isinstance(value, ResourceValidationPolicy | StackValidationPolicy) and all(
                value is not f for f in found
            ):
                found.append(value)
    return found


def _defaults(policy: Any) -> dict[str, Any]:
    schema = getattr(policy, "config_schema", None)
    properties = getattr(schema, "properties", None) or {}
    return {k: v["default"] for k, v in properties.items() if "default" in v}


def rules(directory: Path) -> tuple[int, float]:
    """Floor (2): run the program, then call the rule functions directly (timed part only)."""
    from pulumi_policy import ResourceValidationPolicy
    from pulumi_policy.policy import (
        PolicyCustomTimeouts,
        PolicyProviderResource,
        PolicyResource,
        PolicyResourceOptions,
        ResourceValidationArgs,
        StackValidationArgs,
    )
    from pulumi_policy.proxy import unknown_checking_proxy

    from clover.check import run_project, to_analyzed
    from clover.placement import Placer
    from clover.project import load_project, stack_config

    project = load_project(directory)
    config = stack_config(project, "bench")
    recording = run_project(project, "bench", config)
    analyzed = to_analyzed(project, "bench", Placer(recording, config).place_all(), config)
    policies = [
        p
        for name in ("eu_residency", "eu_data_protection")
        for p in _pack_policies(ROOT / "policy_packs" / name)
    ]
    violations: list[str] = []
    report: Callable[..., None] = lambda message, urn=None: violations.append(message)  # noqa: E731
    if len(policies) < 40:
        raise SystemExit(f"found only {len(policies)} policies in the packs' rule modules")

    start = time.perf_counter()
    stack_resources = []
    for item in analyzed:
        provider = (
            PolicyProviderResource(
                item.provider.type,
                unknown_checking_proxy(dict(item.provider.properties)),
                item.provider.urn,
                item.provider.name,
            )
            if item.provider
            else None
        )
        opts = PolicyResourceOptions(
            item.protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], item.parent
        )
        props = unknown_checking_proxy(dict(item.properties))
        for policy in policies:
            if isinstance(policy, ResourceValidationPolicy):
                args = ResourceValidationArgs(
                    item.type, props, item.urn, item.name, opts, provider, _defaults(policy), {}
                )
                policy.validate(args, report)
        stack_resources.append(
            PolicyResource(item.type, props, item.urn, item.name, opts, provider, None, [], {})
        )
    for policy in policies:
        if not isinstance(policy, ResourceValidationPolicy):
            policy.validate(StackValidationArgs(stack_resources, _defaults(policy), {}), report)
    return len(analyzed), time.perf_counter() - start


def main() -> None:
    mode, directory = sys.argv[1], Path(sys.argv[2]).resolve()
    start = time.perf_counter()
    if mode == "floor-mocks":
        count, seconds = floor_mocks(directory), None
    elif mode == "stand-in":
        count, seconds = stand_in(directory), None
    elif mode == "check":
        count, seconds = check(directory), None
    elif mode == "check-2":
        count, seconds = check_two(directory), None
    elif mode == "rules":
        count, seconds = rules(directory)
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    elapsed = seconds if seconds is not None else time.perf_counter() - start
    print(
        json.dumps(
            {
                "mode": mode,
                "resources": count,
                "seconds": round(elapsed, 3),
                "peak_mb": round(_peak_mb(resource.RUSAGE_SELF), 1),
                "children_peak_mb": round(_peak_mb(resource.RUSAGE_CHILDREN), 1),
            }
        )
    )


if __name__ == "__main__":
    main()
