"""What values unknown at preview compute to: the offline check's evidence for the data-flow rule.

At preview a destination computed from another resource's output (``bucket.arn.apply(lambda a:
f"{a}/*")``, ``Output.concat(account.id, "/blobServices/default")``) is only the unknown
sentinel, and the dependency the engine reports proves nothing: ``replica.arn.apply(lambda a:
override or a)`` has the same one. ``python -m clover check`` runs the program a second time as an
update, every output given a stand-in value (ARNs carry their resource's region, ARM ids and
names the resource's name, S3 buckets a distinct autoname), and sends what each unknown input
computed to as ``computedValues``: ``{"inputs": {urn: {path: value}}, "bucketNames": {name:
urn}, "standIns": {digest: urn}}``. The rule then judges that value as it judges a literal:
``override`` is judged itself, a name derived from a group's name (``rg-shared``) names no
resource of this stack. Every other computed string output had a stand-in host,
``<output>.<digest>.stand-in.invalid`` (``.invalid`` never resolves, RFC 2606): a value built from
one is placed at the resource ``standIns`` says the digest names.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any, Final

from rulekit import is_unknown

COMPUTED_VALUES: Final = "computedValues"
STAND_IN_SUFFIX: Final = ".stand-in.invalid"

COMPUTED_VALUES_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "description": (
        "What the inputs unknown at preview compute to when the program runs with every output "
        "known: {inputs: {urn: {property path: value}}, bucketNames: {stand-in bucket name: "
        "urn}, standIns: {stand-in digest: urn}}. Written by `python -m clover check`; an unknown "
        "not listed is not proven."
    ),
    "properties": {
        "inputs": {"type": "object", "additionalProperties": {"type": "object"}},
        "bucketNames": {"type": "object", "additionalProperties": {"type": "string"}},
        "standIns": {"type": "object", "additionalProperties": {"type": "string"}},
        "incomplete": {
            "type": "string",
            "description": (
                "Why the program's second run did not finish: no value unknown at preview is "
                "then proven by what it computes to."
            ),
        },
    },
    "additionalProperties": False,
}

_PATH_STEP: Final = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _steps(path: str) -> list[str | int]:
    return [key if key else int(index) for key, index in _PATH_STEP.findall(path)]


def _replace(props: dict[str, Any], path: str, value: Any) -> bool:
    """Put ``value`` at ``path`` in ``props`` (a private copy) where an unknown is; False when the
    path leads nowhere or to a known value, which evidence never replaces.

    A key may itself hold dots (a Kubernetes annotation ``nginx.ingress.kubernetes.io/x``, joined
    into the path as written): at each object the longest run of steps that names a key is it.
    """
    steps = _steps(path)
    if not steps:
        return False
    holder: Any = props
    position = 0
    while True:
        step, position = _next_step(holder, steps, position)
        if step is None:
            return False
        if position == len(steps):
            break
        holder = holder[step]
    if not is_unknown(holder[step]):
        return False
    holder[step] = value
    return True


def _next_step(holder: Any, steps: list[str | int], position: int) -> tuple[str | int | None, int]:
    """The key or index at ``steps[position]`` in ``holder`` and the position after it."""
    first = steps[position]
    if isinstance(first, int):
        return (first, position + 1) if _has(holder, first) else (None, position)
    run = position
    while run < len(steps) and isinstance(steps[run], str):
        run += 1
    for end in range(run, position, -1):
        candidate = ".".join(str(s) for s in steps[position:end])
        if _has(holder, candidate):
            return candidate, end
    return None, position


def _has(holder: Any, step: str | int) -> bool:
    if isinstance(step, str):
        return isinstance(holder, dict) and step in holder
    return isinstance(holder, list) and step < len(holder)


class Computed:
    """The evidence as the rule reads it; empty when the check did not send any."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        given = config.get(COMPUTED_VALUES)
        given = given if isinstance(given, Mapping) else {}
        inputs = given.get("inputs")
        names = given.get("bucketNames")
        self.inputs: Mapping[str, Mapping[str, Any]] = inputs if isinstance(inputs, Mapping) else {}
        self.bucket_names: Mapping[str, str] = names if isinstance(names, Mapping) else {}
        stand_ins = given.get("standIns")
        self.stand_ins: Mapping[str, str] = stand_ins if isinstance(stand_ins, Mapping) else {}
        incomplete = given.get("incomplete")
        self.incomplete: str | None = incomplete if isinstance(incomplete, str) else None
        """Why the second run did not finish, when it did not: every value unknown at preview
        that is not exactly an output is then unchecked, whatever field holds it."""

    def props(self, urn: str, props: Mapping[str, Any]) -> tuple[Mapping[str, Any], set[str]]:
        """``props`` with each unknown replaced by what it computed to, and the paths replaced."""
        values = self.inputs.get(urn)
        if not values:
            return props, set()
        replaced: set[str] = set()
        copied = copy.deepcopy(dict(props))
        for path, value in values.items():
            if _replace(copied, str(path), value):
                replaced.add(str(path))
        return copied, replaced
