"""Regenerate ``gcp_placement_types.json``: the pulumi-gcp types taking location, region or zone.

Run after bumping pulumi-gcp (``.venv/bin/python policy_packs/eu_residency/tools/
generate_gcp_placement_types.py``) and commit the result. The pack never imports the provider SDK
(it is published on its own and needs only ``pulumi_policy``), so this fact is shipped as data.
The SDK source is read as text, as ``generate_azure_location_types.py`` does: importing every
module takes minutes.

A type that takes none of the three arguments is either global (reviewed one by one in
``gcp_global_types.py``), placed by a nested field the rule reads itself (a topic's message
storage policy, a Spanner instance's ``config``), or not assessed: the rule then fails closed.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
from pathlib import Path

import pulumi_gcp

_TOKEN = re.compile(r"super\(\w+, __self__\)\.__init__\(\s*'(gcp:[^']+)'")
_INTERNAL_INIT = re.compile(r"def _internal_init\(__self__,(.*?)__props__=None\):", re.S)
_PARAM = re.compile(r"^\s+([a-z_][a-z0-9_]*):", re.M)
PLACEMENT_ARGUMENTS = ("location", "region", "zone")

OUT = Path(__file__).resolve().parent.parent / "gcp_placement_types.json"


def scan(root: Path) -> tuple[dict[str, list[str]], list[str]]:
    """Return (type -> the placement arguments it takes, types that take none), sorted."""
    placed: dict[str, list[str]] = {}
    without: set[str] = set()
    for path in sorted(root.glob("*/*.py")):
        if path.name.startswith(("get_", "_")):
            continue
        text = path.read_text(encoding="utf-8")
        token = _TOKEN.search(text)
        init = _INTERNAL_INIT.search(text)
        if token is None or init is None:
            continue
        params = set(_PARAM.findall(init.group(1)))
        arguments = [a for a in PLACEMENT_ARGUMENTS if a in params]
        if arguments:
            placed[token.group(1)] = arguments
        else:
            without.add(token.group(1))
    return dict(sorted(placed.items())), sorted(without)


def main() -> None:
    placed, without = scan(Path(pulumi_gcp.__file__).parent)
    document = {
        "generatedFrom": f"pulumi-gcp {importlib.metadata.version('pulumi-gcp')}",
        "placementArguments": placed,
    }
    OUT.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(placed)} types take a placement argument, {len(without)} do not")


if __name__ == "__main__":
    main()
