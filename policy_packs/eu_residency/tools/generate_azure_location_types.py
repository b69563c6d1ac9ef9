"""Regenerate ``azure_location_types.json``: the azure-native types whose args accept ``location``.

Run after bumping pulumi-azure-native (``.venv/bin/python policy_packs/eu_residency/tools/
generate_azure_location_types.py``) and commit the result. The pack itself never imports the
provider SDK: it is published on its own and must start fast, so this fact is shipped as data.

A type whose resource args have no ``location`` (blob containers, role assignments, subnets) is
created wherever its parent lives; the placement rule checks the parent instead. The SDK source is
read as text because importing all 260 modules takes minutes.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
from pathlib import Path

import pulumi_azure_native

_TOKEN = re.compile(r"super\(\w+, __self__\)\.__init__\(\s*'(azure-native:[^']+)'")
_INTERNAL_INIT = re.compile(r"def _internal_init\(__self__,(.*?)__props__=None\):", re.S)
_LOCATION_ARG = re.compile(r"^\s+location: pulumi\.Input", re.M)

OUT = Path(__file__).resolve().parent.parent / "azure_location_types.json"


def scan(root: Path) -> tuple[list[str], list[str]]:
    """Return (types that accept ``location``, types that do not), sorted."""
    with_location: set[str] = set()
    without: set[str] = set()
    for path in sorted(root.glob("*/*.py")):
        if path.name.startswith(("get_", "list_", "_")):
            continue
        text = path.read_text(encoding="utf-8")
        token = _TOKEN.search(text)
        init = _INTERNAL_INIT.search(text)
        if token is None or init is None:
            continue
        (with_location if _LOCATION_ARG.search(init.group(1)) else without).add(token.group(1))
    return sorted(with_location), sorted(without)


def main() -> None:
    root = Path(pulumi_azure_native.__file__).parent
    with_location, without = scan(root)
    document = {
        "generatedFrom": f"pulumi-azure-native {importlib.metadata.version('pulumi-azure-native')}",
        "typesWithLocation": with_location,
    }
    OUT.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(with_location)} types accept location, {len(without)} do not")


if __name__ == "__main__":
    main()
