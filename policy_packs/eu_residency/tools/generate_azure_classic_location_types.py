"""Regenerate ``azure_classic_location_types.json``: the pulumi-azure types taking ``location``.

Run after bumping pulumi-azure (``.venv/bin/python policy_packs/eu_residency/tools/
generate_azure_classic_location_types.py``) and commit the result. The pack never imports the
provider SDK (it is published on its own and must start fast), so this fact is shipped as data.

pulumi-azure defaults a missing ``location`` of every such type from the resource group named by
``resourceGroupName`` (``defaultAzureLocation`` in pulumi-azure's ``provider/resources.go``), so
the pack must know which types carry a location even when a program leaves it out. Types without a
``location`` argument live in their parent (a container in its storage account) or are global.
The SDK source is read as text: importing all of pulumi_azure takes far longer.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
from pathlib import Path

import pulumi_azure

_RESOURCE_MODULES = re.compile(r'resource_modules="""(.*?)"""', re.S)
_CLASS_INIT = re.compile(
    r"class (\w+)\(pulumi\.CustomResource\):.*?def _internal_init\(__self__,(.*?)\):", re.S
)
_LOCATION_ARG = re.compile(r"\blocation\s*:")

OUT = Path(__file__).resolve().parent.parent / "azure_classic_location_types.json"


def scan(root: Path) -> tuple[list[str], list[str]]:
    """Return (types that accept ``location``, types that do not), sorted.

    Every token the SDK registers must be found in a class source, so that no type falls through
    unread; a missing one raises.
    """
    init = (root / "__init__.py").read_text(encoding="utf-8")
    match = _RESOURCE_MODULES.search(init)
    if match is None:
        raise SystemExit("pulumi_azure no longer registers its resource modules this way")
    by_class = {
        (entry["fqn"], name): token
        for entry in json.loads(match.group(1))
        for token, name in entry["classes"].items()
    }
    with_location: set[str] = set()
    without: set[str] = set()
    for path in sorted(root.glob("*/*.py")):
        fqn = f"{root.name}.{path.parent.name}"
        for name, params in _CLASS_INIT.findall(path.read_text(encoding="utf-8")):
            token = by_class.get((fqn, name))
            if token is not None:
                (with_location if _LOCATION_ARG.search(params) else without).add(token)
    unread = set(by_class.values()) - with_location - without
    if unread:
        raise SystemExit(f"classes not found in the SDK source: {sorted(unread)[:10]}")
    return sorted(with_location), sorted(without)


def main() -> None:
    root = Path(pulumi_azure.__file__).parent
    with_location, without = scan(root)
    document = {
        "generatedFrom": f"pulumi-azure {importlib.metadata.version('pulumi-azure')}",
        "typesWithLocation": with_location,
    }
    OUT.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(with_location)} types accept location, {len(without)} do not")


if __name__ == "__main__":
    main()
