"""Regenerate the ``generated`` section of ``flow_table.json`` from the installed provider SDKs.

Run after bumping pulumi-aws or pulumi-azure-native (``.venv/bin/python policy_packs/eu_residency/
tools/generate_flow_table.py``), review the diff, and commit. For every resource type, each input
property whose name says it holds a destination (an ARN, endpoint, URL, bucket, topic, queue,
stream, workspace, sink...), a bucket name, a region/location, or a harmless reference (an IAM role,
a VPC, subnets) is recorded with that kind. The ``reviewed`` section is written by hand, overrides
the generated one, and is kept: a reviewer's decision is never regenerated away. The SDK source is
read as text (as ``generate_azure_location_types.py`` does): importing every module takes minutes.

The pack never reads the SDKs itself; at run time a property this table does not list is still
resolved by what its value looks like (an ARN, an id, a URL), so the table only sharpens names.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "flow_table.json"

_TOKEN = re.compile(r"super\(\w+, __self__\)\.__init__\(\s*'((?:aws|azure-native):[^']+)'")
_INTERNAL_INIT = re.compile(r"def _internal_init\(__self__,(.*?)__props__=None\):", re.S)
_PARAM = re.compile(r"^\s+([a-z_][a-z0-9_]*):", re.M)
_SKIP_PARAMS = frozenset({"resource_name", "opts"})

_HARMLESS = re.compile(
    r"(role|rolearn|rolearns|policyarn|policyarns|ami|imageid|vpcid|vpcids|subnetid|subnetids|"
    r"securitygroupid|securitygroupids|securitygroups|vpcsecuritygroupids|"
    r"description|displayname|permissionsboundary|instanceprofile|"
    r"principalid|principalids|tenantid|objectid|clientid)$"
)
_REGION_AWS = re.compile(r"(region|regions|regionname|regionnames)$")
_REGION_AZURE = re.compile(r"(location|locations|locationname|region|regions|regionname)$")
_BUCKET = re.compile(r"bucket(name|s)?$")
_FLOW = re.compile(
    r"arn$|arns$|destination|target|endpoint|url$|urls$|uri$|uris$|topic|queue|stream|"
    r"workspace|storageaccount|eventhub|partner|sink|loggroup|deliverystream"
)


def camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def is_own_name(resource_type: str, prop: str) -> bool:
    """``bucket`` of a Bucket, ``workspaceName`` of a Workspace: the resource names itself."""
    own = resource_type.rsplit(":", 1)[-1].lower()
    return prop.lower() in (own, f"{own}name", "name")


def kind_of(resource_type: str, prop: str) -> str | None:
    """The kind a property's name suggests, or None when it says nothing about places."""
    words = prop.lower()
    if prop in ("region", "location", "tags", "tagsAll") or is_own_name(resource_type, prop):
        return None  # its own placement, name or labels: nothing that designates somewhere else
    if _HARMLESS.search(words):
        return "harmless"
    region = _REGION_AZURE if resource_type.startswith("azure-native:") else _REGION_AWS
    if region.search(words):
        return "region"
    if resource_type.startswith("aws:") and _BUCKET.search(words):
        return "bucket"
    if _FLOW.search(words):
        return "flow"
    return None


def inputs(root: Path) -> dict[str, list[str]]:
    """Every resource type token of an SDK and its input property names (camelCase)."""
    found: dict[str, list[str]] = {}
    for path in sorted(root.glob("*/*.py")):
        if path.name.startswith(("get_", "list_", "_")):
            continue
        text = path.read_text(encoding="utf-8")
        token = _TOKEN.search(text)
        init = _INTERNAL_INIT.search(text)
        if token is None or init is None:
            continue
        names = [camel(p) for p in _PARAM.findall(init.group(1)) if p not in _SKIP_PARAMS]
        found[token.group(1)] = names
    return found


def generate(sdk_inputs: Mapping[str, Iterable[str]]) -> dict[str, dict[str, str]]:
    table: dict[str, dict[str, str]] = {}
    for token in sorted(sdk_inputs):
        kinds = {p: k for p in sorted(sdk_inputs[token]) if (k := kind_of(token, p)) is not None}
        if kinds:
            table[token] = kinds
    return table


def sdk_roots() -> list[Path]:
    """The installed SDK packages, located without importing them."""
    roots = []
    for package in ("pulumi_aws", "pulumi_azure_native"):
        spec = importlib.util.find_spec(package)
        if spec is None or spec.origin is None:
            raise SystemExit(f"{package} is not installed")
        roots.append(Path(spec.origin).parent)
    return roots


def scan() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for root in sdk_roots():
        found.update(inputs(root))
    return found


def main() -> None:
    current = json.loads(OUT.read_text(encoding="utf-8")) if OUT.exists() else {}
    generated = generate(scan())
    document = {
        "generatedFrom": (
            f"pulumi-aws {importlib.metadata.version('pulumi-aws')}, "
            f"pulumi-azure-native {importlib.metadata.version('pulumi-azure-native')}"
        ),
        "kinds": {
            "flow": "a destination: the value must resolve to an allowed place",
            "bucket": "an S3 bucket by name or ARN: it must be a bucket of this stack",
            "region": "a region or location: the value itself must be allowed",
            "harmless": "moves no data: only a literal region outside the allow-list blocks",
        },
        "reviewed": current.get("reviewed", {}),
        "skippedTypes": current.get("skippedTypes", []),
        "customResources": current.get("customResources", {}),
        "generated": generated,
    }
    OUT.write_text(json.dumps(document, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    pairs = sum(len(v) for v in generated.values())
    print(f"{OUT}: {pairs} (type, property) pairs over {len(generated)} types")


if __name__ == "__main__":
    main()
