"""Layered policy pack configs: a strict base per pack, per-stack overlays that loosen it visibly.

Sources live in ``policy_packs/config/layers/``: ``<pack>.base.json`` runs every rule of the pack
at its strictest (``"all": "mandatory"``, allow-lists as in its layer) and is what a stack
without an overlay gets; ``<pack>.<stack>.json`` is an overlay in the same
``--policy-pack-config`` format, merged over the base per rule and per setting. The effective
document is written to ``policy_packs/config/<pack>.<stack>.json`` for every stack of the project
and every overlay, because ``pulumi preview --policy-pack-config`` takes exactly one file per pack;
``python -m clover.pack_config`` regenerates them and a test keeps them in step with the sources.

Every way the effective config is looser than the base is a :class:`Loosening`, which the check
prints and every output carries. An overlay that adds a region or location outside the
EEA (clover/facts.py) is refused outright: no stack may approve storing data there.

Reviewed exemptions live in ``policy_packs/config/exemptions.yaml`` (see :func:`load_exemptions`);
the entries for a stack are compiled into the effective document under each exempted rule's
``exemptions`` setting, which is how they reach the packs under ``pulumi preview`` and a Pulumi
Cloud policy group as well as the offline check. Neither a base nor an overlay may set
``exemptions`` itself: only the reviewed file does. Exemptions are not loosenings of the rule (it
still blocks every other resource); the packs report each one they apply.
"""

from __future__ import annotations

import copy
import datetime
import json
import re
import sys
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import jsonschema
import yaml

from clover import external_resources as external
from clover import facts
from clover.packs import packs_dir

PACKS_DIR: Final = packs_dir()
CONFIG_DIR: Final = PACKS_DIR / "config"
LAYERS_DIR: Final = CONFIG_DIR / "layers"
BASE: Final = "base"
"""The base layer's name in place of a stack name; no stack may be called this."""
LAYERED_PACKS: Final = ("eu_residency", "eu_data_protection", "eu_access")
"""The packs whose per-stack configs are generated from a base and overlays."""
EXEMPTIONS_FILE: Final = "exemptions.yaml"
PACK_NAMES: Final = {
    "eu-residency": "eu_residency",
    "eu-data-protection": "eu_data_protection",
    "eu-access": "eu_access",
}
"""Each pack's name (``PolicyPack(name=...)``, as exemptions name it) and its directory."""
EXEMPTION_RECORD: Final = "policy-exemption-applied"
"""The rule each pack reports applied and stale exemptions with (policy_packs/*/exemptions.py)."""
EXEMPTIONS_KEY: Final = "exemptions"

STRICTEST: Final = "mandatory"
# How strict each enforcement level is: a lower rank blocks less. ``remediate`` changes the
# resource instead of blocking the deployment, so it ranks below mandatory.
_RANK: Final = {"mandatory": 3, "remediate": 2, "advisory": 1, "disabled": 0}

# Settings whose direction is known. Lists: an allow-list loosens when it gains an entry, a
# requirement list when it loses one. Numbers: a minimum loosens when lowered, a maximum when
# raised. Booleans: an ``allow...`` switch loosens when turned on. Any other changed setting is
# reported as a loosening too, since nothing proves it stricter (fail closed).
_REQUIREMENT_LISTS: Final = frozenset({"requiredTags"})
_ALLOW_LISTS_NOT_NAMED_ALLOW: Final = frozenset(
    {"exemptServicePrincipals", "exemptTypes", "placementNeutralPackages", "placementNeutralTypes"}
)
# The residency pack intersects these lists across all of its rules (see
# policy_packs/eu_residency/residency_common.py pack_allow_lists), so a rule the base leaves
# without one is held to the base's pack-wide list.
_PACK_WIDE: Final = {"allowedRegions": "aws", "allowedLocations": "azure"}
_EEA: Final = {
    "aws": frozenset(facts.EEA_AWS_REGIONS),
    "azure": frozenset(facts.EEA_AZURE_LOCATIONS),
}


class PackConfigError(ValueError):
    """A base or overlay that cannot be layered; the message names the file and the setting."""


@dataclass(frozen=True, kw_only=True)
class Loosening:
    """One way a stack's effective pack config is looser than the pack's base."""

    pack: str
    policy: str
    """A policy name, or ``all`` for every rule the config does not name."""
    setting: str
    """``enforcementLevel`` or the name of the rule's config setting."""
    base: Any
    stack: Any
    change: str
    """What changed, in words: ``mandatory -> disabled``, ``gains eu-central-1``."""

    def describe(self) -> str:
        return f"{self.pack} {self.policy}: {self.setting} {self.change}"

    def to_json(self) -> dict[str, Any]:
        return {
            "pack": self.pack,
            "policy": self.policy,
            "setting": self.setting,
            "base": self.base,
            "stack": self.stack,
            "change": self.change,
        }


@dataclass(frozen=True, kw_only=True)
class Layered:
    """A pack's effective config for one stack and what it loosened."""

    pack: str
    stack: str
    base_file: Path
    overlay_file: Path | None
    config: Mapping[str, Any]
    loosened: tuple[Loosening, ...]
    exemptions: tuple[Exemption, ...] = ()
    """The reviewed exemptions compiled into ``config`` (expired ones too: the pack says so)."""
    declared: tuple[external.Declared, ...] = ()
    """The declared external resources compiled into ``config`` (eu_residency only)."""

    @property
    def generated_file(self) -> Path:
        return generated_path(self.base_file.parent.parent, self.pack, self.stack)


def base_path(config_dir: Path, pack: str) -> Path:
    return config_dir / "layers" / f"{pack}.{BASE}.json"


def overlay_path(config_dir: Path, pack: str, stack: str) -> Path:
    return config_dir / "layers" / f"{pack}.{stack}.json"


def generated_path(config_dir: Path, pack: str, stack: str) -> Path:
    return config_dir / f"{pack}.{stack}.json"


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise PackConfigError(f"{path}: cannot read: {err}") from None
    except json.JSONDecodeError as err:
        raise PackConfigError(f"{path}: not valid JSON: {err}") from None
    if not isinstance(data, dict):
        raise PackConfigError(f"{path}: a pack config must be a JSON object")
    return data


def _entry(path: Path, policy: str, value: Any) -> dict[str, Any]:
    """A rule's entry as an object: ``"advisory"`` means ``{"enforcementLevel": "advisory"}``."""
    if isinstance(value, str):
        value = {"enforcementLevel": value}
    if not isinstance(value, dict):
        raise PackConfigError(
            f"{path}: {policy}: expected an enforcement level or an object, got {value!r}"
        )
    level = value.get("enforcementLevel")
    if level is not None and level not in _RANK:
        raise PackConfigError(
            f"{path}: {policy}: enforcementLevel {level!r} is not one of {', '.join(_RANK)}"
        )
    if policy == "all" and set(value) - {"enforcementLevel"}:
        raise PackConfigError(f"{path}: all: only enforcementLevel may be set")
    if EXEMPTIONS_KEY in value:
        raise PackConfigError(
            f"{path}: {policy}: {EXEMPTIONS_KEY} may not be set in a layer; exemptions are "
            f"listed, reviewed and given an expiry in {path.parent.parent / EXEMPTIONS_FILE}"
        )
    return value


def _check_base(path: Path, base: Mapping[str, Any]) -> None:
    """The base runs every rule at its strictest: ``all`` and every named rule mandatory."""
    if _entry(path, "all", base.get("all", {})).get("enforcementLevel") != STRICTEST:
        raise PackConfigError(
            f'{path}: a base config must set "all": "{STRICTEST}", so that every rule, '
            "including those the pack ships advisory, runs at its strictest"
        )
    for policy, value in base.items():
        level = _entry(path, policy, value).get("enforcementLevel", STRICTEST)
        if level != STRICTEST:
            raise PackConfigError(
                f"{path}: {policy} is {level} in the base config; the base runs every rule "
                f"{STRICTEST} and a stack overlay loosens it"
            )


def merge(base: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    """The overlay over the base: per rule, per setting; a setting's value is replaced whole."""
    merged: dict[str, Any] = copy.deepcopy(dict(base))
    for policy, value in overlay.items():
        if policy == "all":
            merged["all"] = copy.deepcopy(value)
            continue
        entry = {"enforcementLevel": value} if isinstance(value, str) else dict(value)
        old = merged.get(policy)
        old_entry = {"enforcementLevel": old} if isinstance(old, str) else dict(old or {})
        merged[policy] = copy.deepcopy({**old_entry, **entry})
    return merged


def _level(doc: Mapping[str, Any], policy: str) -> str | None:
    value = doc.get(policy)
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and "enforcementLevel" in value:
        return str(value["enforcementLevel"])
    return None


def _normalised(setting: str, values: Iterable[Any]) -> set[str]:
    if setting == "allowedLocations":
        return {facts.normalise_azure_location(str(v)) or str(v) for v in values}
    return {str(v) for v in values}


def _pack_wide(base: Mapping[str, Any], setting: str) -> list[str] | None:
    """The intersection of the base's lists for ``setting`` over all rules, as the pack does."""
    lists = [
        _normalised(setting, v[setting])
        for v in base.values()
        if isinstance(v, Mapping) and isinstance(v.get(setting), list)
    ]
    if not lists:
        return None
    return sorted(set.intersection(*lists))


def _list_change(setting: str, before: list[Any] | None, after: list[Any]) -> str | None:
    old = _normalised(setting, before or [])
    new = _normalised(setting, after)
    if setting in _REQUIREMENT_LISTS:
        lost = sorted(old - new)
        return f"loses {', '.join(lost)}" if lost else None
    if before is None:
        return f"set to {', '.join(sorted(new)) or 'nothing'} (base: pack default)"
    gained = sorted(new - old)
    return f"gains {', '.join(gained)}" if gained else None


def _scalar_change(setting: str, before: Any, after: Any) -> str | bool | None:
    """Like :func:`_setting_change` for a known switch or bound; True when not one of those."""
    if isinstance(after, bool) and setting.startswith("allow") and isinstance(before, bool | None):
        shown = "pack default" if before is None else before
        return f"{shown} -> {after}" if after and not before else None
    number = (int, float)
    if isinstance(after, number) and isinstance(before, number) and not isinstance(after, bool):
        if setting.startswith("minimum"):
            return f"{before} -> {after}" if after < before else None
        if setting.startswith("maximum"):
            return f"{before} -> {after}" if after > before else None
    return True


def _setting_change(setting: str, before: Any, after: Any) -> str | None:
    """How ``after`` is looser than ``before``, or None when it is not looser."""
    if before == after:
        return None
    listed = setting in _REQUIREMENT_LISTS or (
        setting.startswith("allow") or setting in _ALLOW_LISTS_NOT_NAMED_ALLOW
    )
    if listed and isinstance(after, list) and isinstance(before, list | None):
        return _list_change(setting, before, after)
    scalar = _scalar_change(setting, before, after)
    if scalar is not True:
        return scalar if isinstance(scalar, str) else None
    shown = "pack default" if before is None else json.dumps(before)
    return f"changed from {shown} to {json.dumps(after)} (not known to be stricter)"


def loosenings(pack: str, base: Mapping[str, Any], effective: Mapping[str, Any]) -> list[Loosening]:
    """Every way ``effective`` is looser than ``base`` (which has passed :func:`_check_base`)."""
    found: list[Loosening] = []
    all_level = _level(effective, "all") or STRICTEST
    if _RANK[all_level] < _RANK[STRICTEST]:
        found.append(
            Loosening(
                pack=pack,
                policy="all",
                setting="enforcementLevel",
                base=STRICTEST,
                stack=all_level,
                change=f"{STRICTEST} -> {all_level} (every rule not named)",
            )
        )
    for policy, value in effective.items():
        if policy == "all":
            continue
        level = _level(effective, policy) or all_level
        if _RANK[level] < _RANK[STRICTEST]:
            found.append(
                Loosening(
                    pack=pack,
                    policy=policy,
                    setting="enforcementLevel",
                    base=STRICTEST,
                    stack=level,
                    change=f"{STRICTEST} -> {level}",
                )
            )
        if not isinstance(value, Mapping):
            continue
        before_entry = base.get(policy)
        before_settings = before_entry if isinstance(before_entry, Mapping) else {}
        for setting, after in value.items():
            if setting == "enforcementLevel":
                continue
            before = before_settings.get(setting)
            if before is None and setting in _PACK_WIDE:
                before = _pack_wide(base, setting)
            change = _setting_change(setting, before, after)
            if change is not None:
                found.append(
                    Loosening(
                        pack=pack,
                        policy=policy,
                        setting=setting,
                        base=before,
                        stack=after,
                        change=change,
                    )
                )
    return found


def _refuse_outside_the_eea(path: Path, overlay: Mapping[str, Any]) -> None:
    """No overlay may allow a region outside the EEA (clover/facts.py)."""
    for policy, value in overlay.items():
        if not isinstance(value, Mapping):
            continue
        for setting, cloud in _PACK_WIDE.items():
            entries = value.get(setting)
            if not isinstance(entries, list):
                continue
            outside = sorted(_normalised(setting, entries) - _EEA[cloud])
            if outside:
                raise PackConfigError(
                    f"{path}: {policy}: {setting} adds {', '.join(outside)}, outside the "
                    f"EEA's {cloud} regions ({', '.join(sorted(_EEA[cloud]))}); "
                    "no stack may allow them"
                )


# -- exemptions ----------------------------------------------------------------------------------

_DATE: Final = r"^\d{4}-\d{2}-\d{2}$"
_NAME: Final = {"type": "string", "minLength": 1, "pattern": r"^\S(.*\S)?$"}
EXEMPTIONS_SCHEMA: Final[Mapping[str, Any]] = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "id": _NAME,
            "stacks": {
                "oneOf": [
                    {"const": "*"},
                    {"type": "array", "items": _NAME, "minItems": 1, "uniqueItems": True},
                ]
            },
            "pack": {"enum": sorted(PACK_NAMES)},
            "policy": _NAME,
            "resource": _NAME,
            "reason": _NAME,
            "approvedBy": _NAME,
            "expires": {"type": "string", "pattern": _DATE},
        },
        "required": [
            "id",
            "stacks",
            "pack",
            "policy",
            "resource",
            "reason",
            "approvedBy",
            "expires",
        ],
        "additionalProperties": False,
    },
}
_GLOB: Final = re.compile(r"[*?\[]")


@dataclass(frozen=True, kw_only=True)
class Exemption:
    """One reviewed exemption: one rule, the resources its URN or pattern names, until a date."""

    id: str
    stacks: tuple[str, ...] | None
    """The stacks it holds in; None for every stack (``"*"``)."""
    pack: str
    """The pack's name, ``eu-residency``; :data:`PACK_NAMES` gives its directory."""
    policy: str
    resource: str
    reason: str
    approved_by: str
    expires: datetime.date

    def holds_in(self, stack: str) -> bool:
        return self.stacks is None or stack in self.stacks

    def to_config(self) -> dict[str, str]:
        """The fields the pack needs, as its ``exemptions`` setting takes them."""
        return {
            "id": self.id,
            "resource": self.resource,
            "reason": self.reason,
            "approvedBy": self.approved_by,
            "expires": self.expires.isoformat(),
        }


def _entry_name(raw: Any, index: int) -> str:
    ident = raw.get("id") if isinstance(raw, Mapping) else None
    return f"exemption {ident!r} (entry {index})" if isinstance(ident, str) else f"entry {index}"


def _schema_error(path: Path, raw: list[Any], error: jsonschema.ValidationError) -> str:
    where = list(error.absolute_path)
    if not where:
        return f"{path}: the file must be a list of exemptions: {error.message}"
    index = int(where[0])
    key = str(where[1]) if len(where) > 1 else None
    if error.validator == "required" and isinstance(error.instance, Mapping):
        required = error.validator_value if isinstance(error.validator_value, list) else []
        missing = [k for k in required if k not in error.instance]
        key = missing[0] if missing else key
        problem = "missing (every exemption names it" + (
            "; an exemption without an expiry never lapses and is refused)"
            if key == "expires"
            else ")"
        )
    elif error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
        allowed = EXEMPTIONS_SCHEMA["items"]["properties"]
        extra = sorted(k for k in error.instance if k not in allowed)
        key = extra[0] if extra else key
        problem = f"unknown key; the keys are {', '.join(allowed)}"
    elif key == "expires":
        problem = f"{error.instance!r} is not a date (YYYY-MM-DD, quoted or not)"
    else:
        problem = f"{error.instance!r} is invalid: {error.message}"
    return f"{path}: {_entry_name(raw[index], index)}: key {key or '(entry)'}: {problem}"


def _dates_as_text(raw: Any) -> Any:
    """YAML reads an unquoted ``2026-06-30`` as a date; the schema takes the ISO text."""
    if isinstance(raw, list):
        return [
            {
                k: v.isoformat()
                if type(v) is datetime.date  # a datetime (with a time) stays refused
                else v
                for k, v in e.items()
            }
            if isinstance(e, Mapping)
            else e
            for e in raw
        ]
    return raw


def _check_resource(resource: str) -> str | None:
    """Why ``resource`` is not a precise URN or pattern, or None.

    A URN is ``urn:pulumi:<stack>::<project>::<type>::<name>`` (pulumi's resource/urn.go), where
    ``<type>`` is the parents' types and the resource's own, joined by ``$``. A pattern may leave
    the stack, project, parents or name open, never the resource's own type: an exemption is
    for one kind of resource.
    """
    prefix = "urn:pulumi:"
    parts = resource[len(prefix) :].split("::", 3) if resource.startswith(prefix) else []
    if len(parts) != 4 or not all(parts):
        return "not a URN (urn:pulumi:<stack>::<project>::<type>::<name>) nor a pattern of one"
    own_type = parts[2].rsplit("$", 1)[-1]
    if _GLOB.search(own_type):
        return f"the pattern leaves the resource's own type open ({own_type!r}); name it exactly"
    return None


def exemptions_path(config_dir: Path) -> Path:
    return config_dir / EXEMPTIONS_FILE


def load_exemptions(
    path: Path,
    *,
    policies: Mapping[str, Collection[str]] | None = None,
    stacks: Collection[str] | None = None,
) -> tuple[Exemption, ...]:
    """The reviewed exemptions in ``path`` (none when there is no such file).

    The file is a YAML list; each entry has ``id`` (unique), ``stacks`` (a list of stack names or
    ``"*"``), ``pack`` (a pack's name), ``policy`` (one of its rules), ``resource`` (an exact URN or
    an ``fnmatch`` pattern over the URN, see :func:`_check_resource`), ``reason``, ``approvedBy``
    and ``expires`` (the last day it holds, ISO ``YYYY-MM-DD``; required). With ``policies``
    (each pack directory's rule names) the rules are checked to exist; with ``stacks`` the
    stacks. The first problem is raised as one :class:`PackConfigError` naming the file, the entry
    and the key.
    """
    if not path.is_file():
        return ()
    try:
        raw = _dates_as_text(yaml.safe_load(path.read_text(encoding="utf-8")))
    except OSError as err:
        raise PackConfigError(f"{path}: cannot read: {err}") from None
    except yaml.YAMLError as err:
        raise PackConfigError(f"{path}: not valid YAML: {err}") from None
    raw = [] if raw is None else raw
    errors = sorted(
        jsonschema.Draft7Validator(EXEMPTIONS_SCHEMA).iter_errors(raw),
        key=lambda e: [str(p) for p in e.absolute_path],
    )
    if errors:
        raise PackConfigError(_schema_error(path, raw, errors[0]))
    found: list[Exemption] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(raw):
        where = f"{path}: {_entry_name(entry, index)}"
        if entry["id"] in seen:
            raise PackConfigError(
                f"{where}: key id: {entry['id']!r} is already the id of entry {seen[entry['id']]}"
            )
        seen[entry["id"]] = index
        try:
            expires = datetime.date.fromisoformat(entry["expires"])
        except ValueError:
            raise PackConfigError(
                f"{where}: key expires: {entry['expires']!r} is not a date (YYYY-MM-DD)"
            ) from None
        problem = _check_resource(entry["resource"])
        if problem is not None:
            raise PackConfigError(f"{where}: key resource: {entry['resource']!r}: {problem}")
        directory = PACK_NAMES[entry["pack"]]
        if entry["policy"] == EXEMPTION_RECORD:
            raise PackConfigError(f"{where}: key policy: {EXEMPTION_RECORD} cannot be exempted")
        known = None if policies is None else policies.get(directory)
        if known is not None and entry["policy"] not in known:
            raise PackConfigError(
                f"{where}: key policy: pack {entry['pack']} has no rule {entry['policy']!r}"
            )
        listed = None if entry["stacks"] == "*" else tuple(entry["stacks"])
        if stacks is not None and set(listed or ()) - set(stacks):
            unknown = sorted(set(listed or ()) - set(stacks))
            raise PackConfigError(
                f"{where}: key stacks: {', '.join(unknown)} is not a stack of the project "
                f"nor of an overlay ({', '.join(sorted(stacks)) or 'none'})"
            )
        found.append(
            Exemption(
                id=entry["id"],
                stacks=listed,
                pack=entry["pack"],
                policy=entry["policy"],
                resource=entry["resource"],
                reason=entry["reason"],
                approved_by=entry["approvedBy"],
                expires=expires,
            )
        )
    return tuple(found)


def with_exemptions(config: Mapping[str, Any], exemptions: Iterable[Exemption]) -> dict[str, Any]:
    """``config`` with each exempted rule's ``exemptions`` setting (sorted by id)."""
    by_policy: dict[str, list[Exemption]] = {}
    for exemption in exemptions:
        by_policy.setdefault(exemption.policy, []).append(exemption)
    compiled: dict[str, Any] = copy.deepcopy(dict(config))
    for policy in sorted(by_policy):
        old = compiled.get(policy)
        entry = {"enforcementLevel": old} if isinstance(old, str) else dict(old or {})
        ordered = sorted(by_policy[policy], key=lambda e: e.id)
        entry[EXEMPTIONS_KEY] = [e.to_config() for e in ordered]
        compiled[policy] = entry
    return compiled


def stack_exemptions(
    pack: str, stack: str, exemptions: Iterable[Exemption]
) -> tuple[Exemption, ...]:
    """The exemptions for pack directory ``pack`` that hold in ``stack``, expired ones included:
    the pack decides expiry when it runs (a generated file outlives the day it was written)."""
    return tuple(e for e in exemptions if PACK_NAMES[e.pack] == pack and e.holds_in(stack))


def read_base(base_file: Path) -> dict[str, Any]:
    """A pack's strict base config, checked as :func:`layer` checks it."""
    if not base_file.is_file():
        raise PackConfigError(f"{base_file}: the base config of the pack is missing")
    base = _read(base_file)
    _check_base(base_file, base)
    return base


def layer(
    pack: str,
    stack: str,
    config_dir: Path = CONFIG_DIR,
    exemptions: Sequence[Exemption] | None = None,
    declarations: Sequence[external.Declared] | None = None,
) -> Layered:
    """The pack's effective config for ``stack``: its base, overlaid by the stack's file if any,
    with the stack's exemptions and, for eu_residency, its declared external resources (each
    read from ``config_dir``'s file unless given)."""
    if stack == BASE:
        raise PackConfigError(f"a stack may not be called {BASE!r}: that name is the base layer")
    base_file = base_path(config_dir, pack)
    if not base_file.is_file():
        raise PackConfigError(f"{base_file}: the base config of pack {pack} is missing")
    base = _read(base_file)
    _check_base(base_file, base)
    overlay_file = overlay_path(config_dir, pack, stack)
    overlay: dict[str, Any] = {}
    if overlay_file.is_file():
        overlay = _read(overlay_file)
        for policy, value in overlay.items():
            _entry(overlay_file, policy, value)
        _refuse_outside_the_eea(overlay_file, overlay)
    effective = merge(base, overlay)
    if exemptions is None:
        exemptions = load_exemptions(exemptions_path(config_dir))
    exempted = stack_exemptions(pack, stack, exemptions)
    declared: tuple[external.Declared, ...] = ()
    if pack == external.PACK:
        if declarations is None:
            try:
                declarations = external.load(external.path_in(config_dir))
            except external.DeclarationError as err:
                raise PackConfigError(str(err)) from None
        declared = external.for_stack(stack, declarations)
    return Layered(
        pack=pack,
        stack=stack,
        base_file=base_file,
        overlay_file=overlay_file if overlay_file.is_file() else None,
        config=external.with_declarations(with_exemptions(effective, exempted), declared),
        loosened=tuple(loosenings(pack, base, effective)),
        exemptions=exempted,
        declared=declared,
    )


def render(config: Mapping[str, Any]) -> str:
    """The generated file's exact text (the step test compares bytes)."""
    return json.dumps(config, indent=2) + "\n"


def stacks_to_generate(
    pack: str, project_stacks: Iterable[str], config_dir: Path = CONFIG_DIR
) -> list[str]:
    """Every stack of the project and every stack that has an overlay for the pack."""
    overlays = {
        p.name[len(pack) + 1 : -len(".json")]
        for p in (config_dir / "layers").glob(f"{pack}.*.json")
    } - {BASE}
    return sorted(set(project_stacks) | overlays)


def policy_names(packs: Iterable[str]) -> dict[str, frozenset[str]]:
    """Each pack directory's rule names, as the running pack reports them."""
    from clover.analyzer import PolicyPack  # noqa: PLC0415 - starting packs is only for this

    names = {}
    for pack in packs:
        with PolicyPack(PACKS_DIR / pack) as running:
            names[pack] = frozenset(running.policies)
    return names


def generated(
    packs: Sequence[str],
    project_stacks: Iterable[str],
    config_dir: Path = CONFIG_DIR,
    *,
    policies: Mapping[str, Collection[str]] | None = None,
) -> dict[Path, str]:
    """Every generated file's path and text, computed from the sources.

    The exemptions are checked against the stacks generated and the packs' rules (``policies``,
    else asked of the running packs when there is any exemption), so that an exemption for a
    misspelt rule or stack is refused rather than silently matching nothing.
    """
    stacks = list(project_stacks)
    all_stacks = {s for pack in packs for s in stacks_to_generate(pack, stacks, config_dir)}
    path = exemptions_path(config_dir)
    exemptions = load_exemptions(path)
    if exemptions:
        if policies is None:
            policies = policy_names(sorted({PACK_NAMES[e.pack] for e in exemptions}))
        exemptions = load_exemptions(path, policies=policies, stacks=all_stacks)
    try:
        declarations = external.load(external.path_in(config_dir), stacks=all_stacks)
    except external.DeclarationError as err:
        raise PackConfigError(str(err)) from None
    files: dict[Path, str] = {}
    for pack in packs:
        for stack in stacks_to_generate(pack, stacks, config_dir):
            layered = layer(pack, stack, config_dir, exemptions, declarations)
            files[layered.generated_file] = render(layered.config)
    return files


def main(argv: Sequence[str] | None = None) -> int:
    """Write the generated per-stack configs; ``--check`` only reports the ones out of step."""
    from clover.project import ProjectError, load_project  # noqa: PLC0415

    args = list(sys.argv[1:] if argv is None else argv)
    only_check = "--check" in args
    try:
        project = load_project(PACKS_DIR.parent)
        files = generated(LAYERED_PACKS, project.stacks())
    except (PackConfigError, ProjectError) as err:
        print(f"clover.pack_config: {err}", file=sys.stderr)
        return 2
    stale = [p for p, text in files.items() if not p.is_file() or p.read_text("utf-8") != text]
    for path in stale:
        rel = path.relative_to(PACKS_DIR.parent)
        if only_check:
            print(f"{rel} is out of step with its sources", file=sys.stderr)
        else:
            path.write_text(files[path], encoding="utf-8")
            print(f"wrote {rel}")
    return 1 if only_check and stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
