"""The reviewed declarations of resources outside the stack: loaded, checked, compiled.

``policy_packs/config/external-resources.yaml`` states where resources outside any stack are: a
replication target of another stack, a partner's bucket, an external endpoint. Each entry names
the resource, its cloud and region, why it is used, who vouched for it and the last day it holds.
:func:`load` refuses a malformed file with one error naming the file, the entry and the key;
clover.pack_config compiles a stack's entries into the eu-residency pack's config (the rule
``external-resource-declarations``), where the residency rules consult them only for a destination
they cannot otherwise prove (policy_packs/eu_residency/external_resources.py, which also judges
expiry when it runs: a generated file outlives the day it was written).

The resource forms and region names are read by the pack's own code, so that what this loader
accepts is exactly what the pack can match.
"""

from __future__ import annotations

import datetime
import importlib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Final

import jsonschema
import yaml

from clover.packs import packs_dir

FILE: Final = "external-resources.yaml"
PACK: Final = "eu_residency"
RULE: Final = "external-resource-declarations"
CONFIG_KEY: Final = "externalResources"
_KEYS: Final = ("id", "stacks", "resource", "cloud", "region", "reason", "vouchedBy", "expires")

SCHEMA: Final[dict[str, Any]] = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "id": {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9._-]*$"},
            "stacks": {
                "oneOf": [
                    {"const": "*"},
                    {
                        "type": "array",
                        "items": {"type": "string", "minLength": 1},
                        "minItems": 1,
                        "uniqueItems": True,
                    },
                ]
            },
            "resource": {"type": "string", "minLength": 1},
            "cloud": {"enum": ["aws", "azure", "gcp"]},
            "region": {"type": "string", "minLength": 1},
            "reason": {"type": "string", "minLength": 1},
            "vouchedBy": {"type": "string", "minLength": 1},
            "expires": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
        },
        "required": list(_KEYS),
        "additionalProperties": False,
    },
}


class DeclarationError(ValueError):
    """The declarations file is malformed; the message names the file, the entry and the key."""


@dataclass(frozen=True, kw_only=True)
class Declared:
    """One declared external resource."""

    id: str
    stacks: tuple[str, ...] | None
    """The stacks it holds in; None for every stack (``"*"``)."""
    resource: str
    cloud: str
    region: str
    reason: str
    vouched_by: str
    expires: datetime.date

    def holds_in(self, stack: str) -> bool:
        return self.stacks is None or stack in self.stacks

    def to_config(self) -> dict[str, str]:
        """The entry as the pack's ``externalResources`` setting takes it."""
        return {
            "id": self.id,
            "resource": self.resource,
            "cloud": self.cloud,
            "region": self.region,
            "reason": self.reason,
            "vouchedBy": self.vouched_by,
            "expires": self.expires.isoformat(),
        }


def path_in(config_dir: Path) -> Path:
    return config_dir / FILE


def _pack_module() -> ModuleType:
    """The pack's external_resources module (its key and region readers), imported in isolation
    as clover.report.pack_flows imports the pack's modules."""
    from clover.report.pack_flows import _isolated  # noqa: PLC0415 - only to read the pack's forms

    with _isolated(packs_dir() / PACK):
        return importlib.import_module("external_resources")


def _entry_name(raw: Any, index: int) -> str:
    ident = raw.get("id") if isinstance(raw, Mapping) else None
    return f"declaration {ident!r} (entry {index})" if isinstance(ident, str) else f"entry {index}"


def _schema_error(path: Path, raw: Any, error: jsonschema.ValidationError) -> str:
    where = list(error.absolute_path)
    if not where:
        return f"{path}: the file must be a list of declarations: {error.message}"
    index = int(where[0])
    key = str(where[1]) if len(where) > 1 else None
    if error.validator == "required" and isinstance(error.instance, Mapping):
        missing = [k for k in _KEYS if k not in error.instance]
        key = missing[0] if missing else key
        problem = "missing (every declaration names it)"
    elif error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
        extra = sorted(str(k) for k in error.instance if k not in _KEYS)
        key = extra[0] if extra else key
        problem = f"unknown key; the keys are {', '.join(_KEYS)}"
    elif key == "expires":
        problem = f"{error.instance!r} is not a date (YYYY-MM-DD)"
    else:
        problem = f"{error.instance!r} is invalid: {error.message}"
    return f"{path}: {_entry_name(raw[index], index)}: key {key or '(entry)'}: {problem}"


def _dates_as_text(raw: Any) -> Any:
    """YAML reads an unquoted ``2027-06-30`` as a date; the schema takes the ISO text."""
    if not isinstance(raw, list):
        return raw
    return [
        {k: v.isoformat() if type(v) is datetime.date else v for k, v in e.items()}
        if isinstance(e, Mapping)
        else e
        for e in raw
    ]


def load(path: Path, *, stacks: Collection[str] | None = None) -> tuple[Declared, ...]:
    """The declarations in ``path`` (none when there is no such file); with ``stacks``, each
    entry's stacks must be among them. The first problem is raised as one
    :class:`DeclarationError`."""
    if not path.is_file():
        return ()
    try:
        raw = _dates_as_text(yaml.safe_load(path.read_text(encoding="utf-8")))
    except OSError as err:
        raise DeclarationError(f"{path}: cannot read: {err}") from None
    except yaml.YAMLError as err:
        raise DeclarationError(f"{path}: not valid YAML: {err}") from None
    raw = [] if raw is None else raw
    errors = sorted(
        jsonschema.Draft7Validator(SCHEMA).iter_errors(raw),
        key=lambda e: [str(p) for p in e.absolute_path],
    )
    if errors:
        raise DeclarationError(_schema_error(path, raw, errors[0]))
    pack = _pack_module()
    found: list[Declared] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(raw):
        where = f"{path}: {_entry_name(entry, index)}"
        if entry["id"] in seen:
            raise DeclarationError(
                f"{where}: key id: {entry['id']!r} is already the id of entry {seen[entry['id']]}"
            )
        seen[entry["id"]] = index
        try:
            expires = datetime.date.fromisoformat(entry["expires"])
        except ValueError:
            raise DeclarationError(
                f"{where}: key expires: {entry['expires']!r} is not a date (YYYY-MM-DD)"
            ) from None
        problem = pack.region_problem(entry["cloud"], entry["region"])
        if problem is not None:
            raise DeclarationError(f"{where}: key region: {problem}")
        key, why = pack.resource_key(entry["resource"], entry["cloud"])
        if key is None:
            raise DeclarationError(f"{where}: key resource: {entry['resource']!r}: {why}")
        listed = None if entry["stacks"] == "*" else tuple(entry["stacks"])
        unknown = sorted(set(listed or ()) - set(stacks)) if stacks is not None else []
        if unknown:
            raise DeclarationError(
                f"{where}: key stacks: {', '.join(unknown)} is not a stack of the project "
                f"({', '.join(sorted(stacks or ())) or 'none'})"
            )
        found.append(
            Declared(
                id=entry["id"],
                stacks=listed,
                resource=entry["resource"],
                cloud=entry["cloud"],
                region=entry["region"],
                reason=entry["reason"],
                vouched_by=entry["vouchedBy"],
                expires=expires,
            )
        )
    return tuple(found)


def for_stack(stack: str, declared: Iterable[Declared]) -> tuple[Declared, ...]:
    """The declarations that hold in ``stack``, expired ones included (the pack says so)."""
    return tuple(sorted((d for d in declared if d.holds_in(stack)), key=lambda d: d.id))


def with_declarations(config: Mapping[str, Any], declared: Iterable[Declared]) -> dict[str, Any]:
    """The eu-residency config with the declarations under :data:`RULE`; unchanged when none."""
    entries = [d.to_config() for d in declared]
    compiled = dict(config)
    if not entries:
        return compiled
    old = compiled.get(RULE)
    entry = {"enforcementLevel": old} if isinstance(old, str) else dict(old or {})
    entry[CONFIG_KEY] = entries
    compiled[RULE] = entry
    return compiled
