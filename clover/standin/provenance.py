"""Which input values are exactly another resource's output, known while the program runs.

At preview a computed output (a bucket's ARN, a group's generated name) is unknown, and the engine
sends the policy packs only the unknown sentinel and the property's dependencies. A dependency is
no proof: ``replica.arn.apply(lambda a: override or a)`` and ``Output.concat(rg.name, "-shared")``
depend on the same resource as ``replica.arn`` itself, yet may name anything. The program's process
can tell them apart: an exact output is the very ``Output`` object the SDK keeps on the resource
(``Resource.__dict__``, read by ``pulumi.get``), a derived value is a new ``Output`` made by
``apply``/``concat``/``all``.

So while a program runs, the SDK's ``rpc.serialize_property`` is wrapped: an unknown value that is
one of a resource's own outputs is sent as a marker naming that resource and output instead of the
bare unknown sentinel. :func:`take_proofs` removes the markers again at the stand-in's monitor,
before the mocks, the transforms' callbacks or the policy packs see anything, and keeps them as the
resource's proofs: property path -> ``<urn>#<output>``. What the packs are sent is exactly what the
engine would send; the proofs reach them separately (``provenOutputs`` in the data-flow policy's
config).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any, Final

import pulumi
from pulumi.runtime import rpc

UNKNOWN: Final = rpc.UNKNOWN
MARK: Final = f"{UNKNOWN}@"
"""The prefix of a marker: the unknown sentinel, so anything that sees one by mistake still reads
an unknown-looking value, never a place."""

_SIG_KEY: Final = rpc._special_sig_key
_SECRET_SIG: Final = rpc._special_secret_sig
_RESOURCE_SIG: Final = rpc._special_resource_sig

_serialize_property: Final = rpc.serialize_property


async def _source_of(value: pulumi.Output[Any]) -> str | None:
    """``<urn>#<output>`` when ``value`` is the Output a resource keeps for one of its outputs."""
    for resource in await value.resources():
        for name, attribute in vars(resource).items():
            if attribute is value:
                urn = await resource.urn.future()
                return f"{urn}#{name}" if urn else None
    return None


async def _marking_serialize_property(*args: Any, **kwargs: Any) -> Any:
    """``rpc.serialize_property``, with an exact unknown output of a resource sent as a marker.

    Only for a resource's own inputs (the SDK passes the resource being registered as
    ``resource_obj``); data-source arguments and stack outputs are serialized unchanged.
    """
    result = await _serialize_property(*args, **kwargs)
    value = args[0] if args else kwargs.get("value")
    resource_obj = args[3] if len(args) > 3 else kwargs.get("resource_obj")
    if result != UNKNOWN or resource_obj is None or not isinstance(value, pulumi.Output):
        return result
    source = await _source_of(value)
    return result if source is None else f"{MARK}{source}"


@contextlib.contextmanager
def marking_outputs() -> Iterator[None]:
    """Mark exact outputs for the duration of one program run, restoring the SDK afterwards."""
    rpc.serialize_property = _marking_serialize_property
    try:
        yield
    finally:
        rpc.serialize_property = _serialize_property


_PATH_STEP: Final = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def at(value: Any, path: str) -> Any:
    """The value at a property path (``rules[0].arn``); None where the path leads nowhere.

    A key may itself hold dots (a Kubernetes annotation ``nginx.ingress.kubernetes.io/x``, joined
    into the path as written): at each object the longest run of steps that names a key is it.
    """
    steps = _PATH_STEP.findall(path)
    position = 0
    while position < len(steps):
        key, index = steps[position]
        if key and isinstance(value, dict):
            run = position
            while run < len(steps) and steps[run][0]:
                run += 1
            for end in range(run, position, -1):
                candidate = ".".join(k for k, _ in steps[position:end])
                if candidate in value:
                    value, position = value[candidate], end
                    break
            else:
                return None
        elif index and isinstance(value, list) and int(index) < len(value):
            value, position = value[int(index)], position + 1
        else:
            return None
    return value


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def take_proofs(value: Any, path: str = "") -> tuple[Any, dict[str, str]]:
    """``value`` (inputs decoded from protobuf) without markers, and the proofs they carried.

    Paths are as the policy packs name properties: ``destination.bucketArn``, ``rules[0].arn``; a
    secret is its value's path, a resource reference (``role=role``) the path of the reference,
    proven as that resource's id.
    """
    proofs: dict[str, str] = {}
    cleaned = _take(value, path, proofs)
    return cleaned, proofs


def _take(value: Any, path: str, proofs: dict[str, str]) -> Any:  # noqa: PLR0911 - one per shape
    if isinstance(value, str):
        if value.startswith(MARK):
            proofs[path] = value[len(MARK) :]
            return UNKNOWN
        return value
    if isinstance(value, dict):
        sig = value.get(_SIG_KEY)
        if sig == _SECRET_SIG:
            return {**value, "value": _take(value.get("value"), path, proofs)}
        if sig == _RESOURCE_SIG:
            ref = dict(value)
            marked = ref.get("id")
            if isinstance(marked, str) and marked.startswith(MARK):
                proofs[path] = marked[len(MARK) :]
                ref["id"] = ""  # as the engine sends an unknown id (engine.py)
            return ref
        return {k: _take(v, _join(path, str(k)), proofs) for k, v in value.items()}
    if isinstance(value, list):
        return [_take(v, f"{path}[{i}]", proofs) for i, v in enumerate(value)]
    return value
