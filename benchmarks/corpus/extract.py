"""Write every Python example in the installed provider SDKs' docstrings as a Pulumi project.

    .venv/bin/python -m benchmarks.corpus.extract [OUT]        # default OUT: build/corpus

For each resource class and data-source function of every ``pulumi_<provider>`` package in the
interpreter's site-packages (``pulumi_policy`` is a library, not a provider, and is left out), each
```` ```python ```` block under the docstring's ``## Example Usage`` heading becomes
``OUT/<package>/<module>/<name>[-<n>]/`` holding ``Pulumi.yaml``, ``Pulumi.test.yaml`` and
``__main__.py``. The stack file sets a European default for each provider that takes one from
stack config (``aws:region``, ``aws-native:region``, ``azure-native:location``, ``gcp:region``
and ``gcp:zone``), so a program that names no region of its own can pass.

Docstrings are read by parsing the SDK's source with ``ast`` rather than importing it. Measured on
the first 40 modules of pulumi_aws 7.51: importing every file module and reading the docstrings
with ``inspect`` took 2.5 s, parsing the files that hold an example took 2.5 s, so speed does not
decide; ``ast`` runs no SDK code, and a resource's examples sit on its ``@overload``-ed
``__init__``, whose docstrings the imported class no longer carries (only
``typing.get_overloads`` on 3.11+ finds them). The whole of pulumi_aws parses in about 17 s.
A resource's docstring sits on both ``__init__`` overloads and a data source's on both ``get_x``
and ``get_x_output``: each example is taken once.

pulumi-azure-native 3.x ships no examples in its Python docstrings (its docs site carries them),
so it contributes no program; the count is printed all the same.

azure-native publishes versioned modules (``pulumi_azure_native.storage.v20230101``) besides the
default one; only the default (unversioned) module of each resource is read.
"""

from __future__ import annotations

import argparse
import ast
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = ROOT / "build" / "corpus"
STACK = "test"
STACK_FILE = (
    "config:\n"
    "  # A European default, so that a program which names no region of its own can pass.\n"
    "  aws:region: eu-west-1\n"
    "  aws-native:region: eu-west-1\n"
    "  azure-native:location: northeurope\n"
    "  gcp:project: corpus-project\n"
    "  gcp:region: europe-west1\n"
    "  gcp:zone: europe-west1-b\n"
)
# Every project this script writes carries this prefix; a directory under OUT whose Pulumi.yaml
# names another project is never removed.
PROJECT_PREFIX = "corpus-"
_VERSIONED = re.compile(r"^v\d")
_FENCE = re.compile(r"^```(\S*)\s*$")
_HEADING = re.compile(r"^##\s+(.*?)\s*$")


@dataclass(frozen=True)
class Example:
    """One fenced Python block from one SDK docstring."""

    package: str
    """The SDK's import name, e.g. ``pulumi_aws``."""
    module: str
    """The module's path inside the package, dotted, e.g. ``s3`` or ``ec2transitgateway``."""
    name: str
    """The resource class or data-source function the docstring belongs to."""
    index: int
    """1-based position among this docstring's Python examples."""
    count: int
    """How many Python examples this docstring has."""
    source: str

    @property
    def relative(self) -> Path:
        leaf = self.name if self.count == 1 else f"{self.name}-{self.index}"
        return Path(self.package, *self.module.split("."), leaf)

    @property
    def project(self) -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", "-".join(self.relative.parts).lower()).strip("-")
        return PROJECT_PREFIX + slug


def python_examples(docstring: str) -> list[str]:
    """The ```` ```python ```` blocks under the ``## Example Usage`` heading, in order.

    The section ends at the next level-2 heading (``## Import``); a block in another language
    (``sh``, ``azurecli``, ``typescript``) is skipped.
    """
    found: list[str] = []
    in_section = False
    block: list[str] | None = None
    keep = False
    for line in docstring.splitlines():
        stripped = line.strip()
        if block is not None:
            if stripped == "```":
                if keep:
                    found.append("\n".join(block).strip("\n") + "\n")
                block = None
            else:
                block.append(line)
            continue
        heading = _HEADING.match(stripped)
        if heading:
            in_section = heading.group(1).lower() == "example usage"
            continue
        fence = _FENCE.match(stripped)
        if fence and in_section:
            block = []
            keep = fence.group(1).lower() in ("python", "py")
    return found


def _docstrings(tree: ast.Module) -> Iterator[tuple[str, str]]:
    """(name, docstring) of each resource class and each data-source function, once each."""
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                    doc = ast.get_docstring(item)
                    if doc:
                        # The first overload (args given as keywords) carries the examples; the
                        # second repeats them verbatim.
                        yield node.name, doc
                        break
        elif (
            isinstance(node, ast.FunctionDef)
            and not node.name.startswith("_")
            and not node.name.endswith("_output")
        ):
            doc = ast.get_docstring(node)
            if doc:
                yield node.name, doc


def provider_packages(site: Path) -> list[Path]:
    """Every installed ``pulumi_<provider>`` SDK (a directory with ``_utilities.py``)."""
    return sorted(
        p
        for p in site.glob("pulumi_*")
        if p.is_dir() and (p / "_utilities.py").is_file() and p.name != "pulumi_policy"
    )


def _module_files(package: Path) -> Iterator[Path]:
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package)
        if any(_VERSIONED.match(part) for part in relative.parts[:-1]):
            continue
        if (
            "__pycache__" in relative.parts
            or path.name.startswith("_")
            or path.name
            in (
                "outputs.py",
                "config.py",
            )
        ):
            continue
        yield path


def examples_in_file(package: Path, path: Path) -> Iterator[Example]:
    """The examples of one module file of an SDK, in source order."""
    text = path.read_text(encoding="utf-8")
    if "```python" not in text:
        return
    module = ".".join(path.relative_to(package).parts[:-1]) or "index"
    for name, doc in _docstrings(ast.parse(text, filename=str(path))):
        blocks = python_examples(doc)
        for index, source in enumerate(blocks, start=1):
            yield Example(package.name, module, name, index, len(blocks), source)


def examples(package: Path) -> Iterator[Example]:
    """Every example of one SDK, in a deterministic order (file path, then source order)."""
    for path in _module_files(package):
        yield from examples_in_file(package, path)


def _write_if_changed(path: Path, text: str) -> None:
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def write(example: Example, out: Path) -> Path:
    directory = out / example.relative
    directory.mkdir(parents=True, exist_ok=True)
    _write_if_changed(
        directory / "Pulumi.yaml",
        f"name: {example.project}\nruntime: python\n"
        f"description: {example.package}.{example.module}.{example.name} docstring example "
        f"{example.index} of {example.count}\n",
    )
    _write_if_changed(directory / f"Pulumi.{STACK}.yaml", STACK_FILE)
    _write_if_changed(directory / "__main__.py", example.source)
    return directory


def _remove_stale(out: Path, keep: set[Path]) -> int:
    removed = 0
    for project in sorted(out.rglob("Pulumi.yaml")):
        directory = project.parent
        if directory in keep:
            continue
        first = project.read_text(encoding="utf-8").splitlines()[:1]
        if first and first[0].startswith(f"name: {PROJECT_PREFIX}"):
            shutil.rmtree(directory)
            removed += 1
    return removed


def extract(out: Path, site: Path) -> dict[str, int]:
    """Write the whole corpus of the SDKs in ``site`` under ``out``; count programs per package."""
    counts: dict[str, int] = {}
    written: set[Path] = set()
    for package in provider_packages(site):
        counts[package.name] = 0
        for example in examples(package):
            written.add(write(example, out))
            counts[package.name] += 1
    _remove_stale(out, written)
    return counts


def site_packages() -> Path:
    """The site-packages holding the ``pulumi`` SDK of this interpreter."""
    import pulumi

    return Path(pulumi.__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, default=DEFAULT_OUT, metavar="OUT")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    counts = extract(args.out.resolve(), site_packages())
    seconds = time.perf_counter() - start
    for package, count in counts.items():
        print(f"{package}: {count} programs")
    print(f"{sum(counts.values())} programs in {args.out} ({seconds:.1f} s)")


if __name__ == "__main__":
    main()
