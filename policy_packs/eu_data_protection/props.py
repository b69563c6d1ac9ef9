"""Defensive reading of the property bags the engine sends to the eu-data-protection rules.

The SDK hands validators a proxy that raises ``UnknownValueError`` when a value not known at preview
is read; the SDK then reports an ADVISORY "can't run policy" instead of the rule's own level, which
would let a mandatory data-protection rule pass silently in preview. :func:`plain` copies a property
bag into ordinary dicts and lists and turns every unknown into the :data:`UNKNOWN` marker, so the
rules decide for themselves (they fail closed) and never see an exception from a read.

Any other exception raised by a validator aborts the whole preview, so the accessors here never
raise, whatever shape the bag has: a wrong type reads as missing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, TypeAlias

from pulumi_policy.proxy import UnknownValueError

if TYPE_CHECKING:
    from policy_packs.eu_data_protection.rulekit import UNKNOWN_MARKER, UNKNOWN_SENTINELS, Unknown
else:
    from rulekit import UNKNOWN_MARKER, UNKNOWN_SENTINELS, Unknown


class _Marker:
    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name

    def __bool__(self) -> bool:
        # Neither marker may ever pass a truthiness check by accident.
        return False


UNKNOWN: Final = UNKNOWN_MARKER
"""A value the engine could not know at preview time (the rule kit's one marker)."""

MISSING: Final[_Marker] = _Marker("<not set>")
"""A value the program did not set (or set to something of the wrong shape)."""

Marker: TypeAlias = _Marker | Unknown
"""The two markers a read may give instead of a value: unknown until apply, or not set."""

_log = logging.getLogger(__name__)


def plain(value: Any) -> Any:
    """Copy ``value`` (possibly an SDK proxy) into dicts and lists; unknowns become ``UNKNOWN``."""
    if isinstance(value, str):
        return UNKNOWN if value in UNKNOWN_SENTINELS else value
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key in list(value):
            out[str(key)] = plain(_read(value, key))
        return out
    if isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        return [plain(_read(value, i)) for i in range(len(value))]
    return value


def _read(container: Any, key: Any) -> Any:
    try:
        return container[key]
    except UnknownValueError:
        return UNKNOWN
    except (KeyError, IndexError, TypeError):
        return MISSING


def get(obj: Any, *path: str | int) -> Any:
    """Walk ``path`` through dicts (str keys) and lists (int indexes) of a :func:`plain` value.

    Returns ``UNKNOWN`` if any step is unknown and ``MISSING`` if any step is absent or of the
    wrong type.
    """
    current = obj
    for step in path:
        if current is UNKNOWN:
            return UNKNOWN
        if isinstance(step, str) and isinstance(current, dict):
            current = current.get(step, MISSING)
        elif (
            isinstance(step, int)
            and isinstance(current, list)
            and -len(current) <= step < len(current)
        ):
            current = current[step]
        else:
            return MISSING
    return current


def as_bool(value: Any) -> bool | Marker:
    """A boolean; Terraform-bridged string booleans (``"true"``) count. Anything else is MISSING."""
    if isinstance(value, _Marker | Unknown):
        return value
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return MISSING


def as_str(value: Any) -> str | Marker:
    if isinstance(value, _Marker | Unknown):
        return value
    return value if isinstance(value, str) else MISSING


def as_number(value: Any) -> float | Marker:
    """A number: protobuf ``Struct`` carries every number as a float. Booleans are not numbers."""
    if isinstance(value, _Marker | Unknown):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return MISSING


def as_list(value: Any) -> list[Any] | Marker:
    """A list; a single non-list value of a list-typed input reads as MISSING."""
    if isinstance(value, _Marker | Unknown):
        return value
    return value if isinstance(value, list) else MISSING


def as_dict(value: Any) -> dict[str, Any] | Marker:
    if isinstance(value, _Marker | Unknown):
        return value
    return value if isinstance(value, dict) else MISSING


def lower(value: Any) -> str | Marker:
    """A case-folded, stripped string (Azure enum values are case-insensitive)."""
    text = as_str(value)
    return text.strip().lower() if isinstance(text, str) else text


def show(value: Any) -> str:
    """Render a value for a violation message."""
    if isinstance(value, _Marker | Unknown):
        return repr(value)
    return json.dumps(value, default=repr) if not isinstance(value, str) else repr(value)


def parse_json_document(value: Any) -> Any:
    """A JSON document given as a string (IAM policies) or as an object; MISSING if invalid."""
    if isinstance(value, _Marker | Unknown):
        return value
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        try:
            return plain(json.loads(value))
        except (ValueError, RecursionError):
            return MISSING
    return MISSING


def iter_dicts(value: Any) -> Iterator[dict[str, Any] | Marker]:
    """The elements of a list of objects; unknown elements (or an unknown list) yield UNKNOWN."""
    items = as_list(value)
    if items is UNKNOWN:
        yield UNKNOWN
        return
    if not isinstance(items, list):
        return
    for item in items:
        if item is UNKNOWN:
            yield UNKNOWN
        elif isinstance(item, dict):
            yield item
