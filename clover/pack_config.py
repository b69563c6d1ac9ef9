"""Layered policy pack configs: a strict base per pack, per-stack overlays that loosen it visibly.

Sources live in ``policy_packs/config/layers/``: ``<pack>.base.json`` runs every rule of the pack
at its strictest (``"all": "mandatory"``, allow-lists as the catalog's sites) and is what a stack
without an overlay gets; ``<pack>.<stack>.json`` is an overlay in the same
``--policy-pack-config`` format, merged over the base per rule and per setting. The effective
document is written to ``policy_packs/config/<pack>.<stack>.json`` for every stack of the project
and every overlay, because ``pulumi preview --policy-pack-config`` takes exactly one file per pack;
``python -m clover.pack_config`` regenerates them and a test keeps them in step with the sources.

Every way the effective config is looser than the base is a :class:`Loosening`, which the check
prints and every output carries. An overlay that adds a region or location outside the catalog's
approved (EEA) set is refused outright: no stack may approve storing data there.
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from clover import catalog

PACKS_DIR: Final = Path(__file__).resolve().parents[1] / "policy_packs"
CONFIG_DIR: Final = PACKS_DIR / "config"
LAYERS_DIR: Final = CONFIG_DIR / "layers"
BASE: Final = "base"
"""The base layer's name in place of a stack name; no stack may be called this."""

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
    {"exemptTypes", "placementNeutralPackages", "placementNeutralTypes"}
)
# The residency pack intersects these lists across all of its rules (see
# policy_packs/eu_residency/residency_common.py pack_allow_lists), so a rule the base leaves
# without one is held to the base's pack-wide list.
_PACK_WIDE: Final = {"allowedRegions": catalog.Cloud.AWS, "allowedLocations": catalog.Cloud.AZURE}


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
        return {catalog.normalise_azure_location(str(v)) for v in values}
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


def _refuse_outside_catalog(path: Path, overlay: Mapping[str, Any]) -> None:
    """No overlay may allow a region the catalog does not approve (outside the EEA)."""
    for policy, value in overlay.items():
        if not isinstance(value, Mapping):
            continue
        for setting, cloud in _PACK_WIDE.items():
            entries = value.get(setting)
            if not isinstance(entries, list):
                continue
            outside = sorted(_normalised(setting, entries) - catalog.APPROVED[cloud])
            if outside:
                raise PackConfigError(
                    f"{path}: {policy}: {setting} adds {', '.join(outside)}, outside the "
                    f"catalog's approved {cloud.value} regions "
                    f"({', '.join(sorted(catalog.APPROVED[cloud]))}); no stack may allow them"
                )


def layer(pack: str, stack: str, config_dir: Path = CONFIG_DIR) -> Layered:
    """The pack's effective config for ``stack``: its base, overlaid by the stack's file if any."""
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
        _refuse_outside_catalog(overlay_file, overlay)
    effective = merge(base, overlay)
    return Layered(
        pack=pack,
        stack=stack,
        base_file=base_file,
        overlay_file=overlay_file if overlay_file.is_file() else None,
        config=effective,
        loosened=tuple(loosenings(pack, base, effective)),
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


def generated(
    packs: Sequence[str], project_stacks: Iterable[str], config_dir: Path = CONFIG_DIR
) -> dict[Path, str]:
    """Every generated file's path and text, computed from the sources."""
    stacks = list(project_stacks)
    files: dict[Path, str] = {}
    for pack in packs:
        for stack in stacks_to_generate(pack, stacks, config_dir):
            layered = layer(pack, stack, config_dir)
            files[layered.generated_file] = render(layered.config)
    return files


def main(argv: Sequence[str] | None = None) -> int:
    """Write the generated per-stack configs; ``--check`` only reports the ones out of step."""
    from clover.check import DEFAULT_PACKS  # noqa: PLC0415 - clover.check imports this module
    from clover.project import ProjectError, load_project  # noqa: PLC0415

    args = list(sys.argv[1:] if argv is None else argv)
    only_check = "--check" in args
    try:
        project = load_project(PACKS_DIR.parent)
        files = generated(DEFAULT_PACKS, project.stacks())
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
