"""What the values unknown at preview really are: the evidence the data-flow policy judges.

At preview every computed output is unknown, so a destination such as
``bucket.arn.apply(lambda a: f"{a}/*")`` or ``Output.concat(account.id, "/blobServices/default")``
reaches the packs as the unknown sentinel, depending on the resource it was computed from. That
dependency proves nothing (``replica.arn.apply(lambda a: override or a)`` has the same one). Two
kinds of evidence replace it, both sent to the policies that declare them in their config schema
(``PolicyPack.configure_evidence``):

- ``provenOutputs``: the unknown inputs that are exactly another resource's output, seen while
  the program ran (clover/standin/provenance.py);
- ``computedValues``: for every other unknown input, what it computes to when the program runs
  a second time as an update, with a stand-in value for every output (ARNs in the resource's
  region, ARM ids naming the resource, S3 buckets autonamed as the provider autonames them), and
  the stand-in bucket names (an S3 name or ARN carries no region, so the policy must know which
  bucket of the stack a computed name is), and the resource each other stand-in output names
  (``standIns``: every computed string output is a host ``<output>.<digest>.stand-in.invalid``
  naming its resource). A value the second run leaves unset stays unproven.

Under ``pulumi preview`` without this evidence, the data-flow policy blocks every unknown
destination, as it cannot tell an exact output from a computed one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

from clover.standin.engine import UNKNOWN
from clover.standin.provenance import at
from clover.standin.provider_defaults import stand_in_digest
from clover.standin.recorded import RecordedResource

PROVEN_OUTPUTS: Final = "provenOutputs"
COMPUTED_VALUES: Final = "computedValues"
RESOURCE_HOOKS: Final = "resourceHooks"

_S3_BUCKETS: Final = frozenset({"aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"})


def unknown_paths(value: Any, path: str = "") -> Iterator[str]:
    """The property paths (``rules[0].arn``) of every unknown in ``value``."""
    if value == UNKNOWN:
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from unknown_paths(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from unknown_paths(item, f"{path}[{index}]")


def unproven(resource: RecordedResource) -> list[str]:
    """Paths of the resource's unknown inputs that are not proven to be an exact output."""
    return [p for p in unknown_paths(resource.inputs) if p and p not in resource.proofs]


def _settled(value: Any) -> bool:
    """Whether a computed value is wholly known: no unknown and nothing left unset in it."""
    if value is None or (isinstance(value, str) and UNKNOWN in value):
        return False
    if isinstance(value, dict):
        return all(_settled(v) for v in value.values())
    if isinstance(value, list):
        return all(_settled(v) for v in value)
    return True


def evidence(
    preview: Sequence[RecordedResource],
    update: Mapping[str, RecordedResource] | None,
    incomplete: str | None = None,
) -> dict[str, Any]:
    """The evidence for the packs from the preview run and (when it ran whole) the update run;
    ``incomplete`` says why the update run, needed, did not finish."""
    proven = {r.urn: dict(r.proofs) for r in preview if r.proofs}
    computed: dict[str, dict[str, Any]] = {}
    buckets: dict[str, str] = {}
    if update is not None:
        for resource in preview:
            second = update.get(resource.urn)
            if second is None:
                continue
            for path in unproven(resource):
                value = at(second.inputs, path)
                if _settled(value):
                    computed.setdefault(resource.urn, {})[path] = value
        for urn, second in update.items():
            if second.type in _S3_BUCKETS and second.id:
                buckets[second.id] = urn
    # The resource each stand-in output names; a digest two resources share names neither.
    named: dict[str, list[str]] = {}
    for resource in preview:
        named.setdefault(stand_in_digest(resource.type, resource.name), []).append(resource.urn)
    stand_ins = {digest: urns[0] for digest, urns in named.items() if len(urns) == 1}
    computed_values: dict[str, Any] = {
        "inputs": computed,
        "bucketNames": buckets,
        "standIns": stand_ins,
    }
    if incomplete is not None:
        computed_values["incomplete"] = incomplete
    # Resource hooks are code the engine runs at deployment; no analyzer request carries them.
    hooks = {r.urn: list(r.hooks) for r in preview if r.hooks}
    return {PROVEN_OUTPUTS: proven, COMPUTED_VALUES: computed_values, RESOURCE_HOOKS: hooks}


def needs_update_run(preview: Sequence[RecordedResource]) -> bool:
    """Whether any unknown input is left that only the update run can show."""
    return any(unproven(r) for r in preview if not r.is_provider)
