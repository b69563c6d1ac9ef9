"""Read a Pulumi project and its stack configuration the way the CLI does, without the CLI.

The CLI hands a program its configuration as ``PULUMI_CONFIG``: fully qualified keys
(``aws:region``, ``clover:sites``), string values, structured values JSON-encoded, with the
project's declared defaults applied. :func:`stack_config` produces exactly that mapping.
https://www.pulumi.com/docs/iac/concepts/config/#structured-configuration
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


class ProjectError(ValueError):
    """The project or stack files cannot be used; the message names the file and the problem."""


@dataclass(frozen=True, kw_only=True)
class Project:
    directory: Path
    name: str
    runtime: str
    main: Path
    """The program's entry point: ``__main__.py`` in ``main`` (default: the project directory)."""
    stack_config_dir: Path
    declared: Mapping[str, Mapping[str, Any]]
    """Config keys declared in Pulumi.yaml, fully qualified, with their type/default/description."""
    runtime_options: Mapping[str, Any] = field(default_factory=dict)
    """``runtime.options`` of Pulumi.yaml (``virtualenv``, ``toolchain``), as written."""
    extension: str = ".yaml"
    """The project file's extension, which its stack files share: the CLI names a stack file
    ``Pulumi.<stack><ext>`` after the project file's (sdk/go/common/workspace/paths.go,
    ``DetectProjectStackPath``: ``filepath.Ext(projPath)``), so a ``Pulumi.yml`` project reads
    ``Pulumi.dev.yml`` and never ``Pulumi.dev.yaml``."""

    def stack_file(self, stack: str) -> Path:
        return self.stack_config_dir / f"Pulumi.{stack}{self.extension}"

    def stacks(self) -> list[str]:
        """Stack names that have a stack file, sorted."""
        files = sorted(self.stack_config_dir.glob(f"Pulumi.*{self.extension}"))
        return [f.name[len("Pulumi.") : -len(self.extension)] for f in files]


_UTF8_BOM = b"\xef\xbb\xbf"

# yaml.v3, which the Pulumi CLI reads project and stack files with, refuses a document whose alias
# expansion does most of the decoding work: more than 100 alias-driven decodes, more than 1,000 in
# all, and an alias share above 99% (falling to 10% between 400,000 and 4,000,000 decodes).
# https://github.com/go-yaml/yaml/blob/v3/decode.go (allowedAliasRatio, decoder.unmarshal)
_ALIAS_RATIO_LOW = 400_000
_ALIAS_RATIO_HIGH = 4_000_000


def _allowed_alias_ratio(decodes: int) -> float:
    if decodes <= _ALIAS_RATIO_LOW:
        return 0.99
    if decodes >= _ALIAS_RATIO_HIGH:
        return 0.10
    span = _ALIAS_RATIO_HIGH - _ALIAS_RATIO_LOW
    return 0.99 - 0.89 * (decodes - _ALIAS_RATIO_LOW) / span


class _RefusedError(Exception):
    """A document yaml.v3 would refuse; the message is its own, without the ``yaml:`` prefix."""


class _Decoder:
    """Walks a composed document the way yaml.v3 decodes it, before anything is constructed.

    PyYAML composes an alias as a second reference to the anchored node, so the first visit of a
    node is its definition and every later visit is an alias expansion, counted as yaml.v3 counts
    it. Mapping keys must be unique, as yaml.v3 enforces by default (``uniqueKeys``), comparing
    each key's kind and source text."""

    def __init__(self) -> None:
        self.decodes = 0
        self.aliased = 0
        self.seen: set[int] = set()
        self.open: set[int] = set()

    def _count(self, *, alias: bool) -> None:
        self.decodes += 1
        if alias:
            self.aliased += 1
        if (
            self.aliased > 100
            and self.decodes > 1000
            and self.aliased / self.decodes > _allowed_alias_ratio(self.decodes)
        ):
            raise _RefusedError("document contains excessive aliasing")

    def walk(self, node: yaml.Node, *, alias: bool = False) -> None:
        key = id(node)
        if key in self.seen:
            # An alias: yaml.v3 decodes the alias node itself, then its anchor's node again
            # with aliasDepth > 0, so every node under it counts as alias-driven.
            self._count(alias=alias)
            if key in self.open:
                line = node.start_mark.line + 1
                raise _RefusedError(f"anchor at line {line} value contains itself")
            alias = True
        self._count(alias=alias)
        self.seen.add(key)
        if isinstance(node, yaml.ScalarNode):
            return
        self.open.add(key)
        try:
            if isinstance(node, yaml.MappingNode):
                if not alias:
                    self._unique(node)
                for k, v in node.value:
                    self.walk(k, alias=alias)
                    self.walk(v, alias=alias)
            elif isinstance(node, yaml.SequenceNode):
                for item in node.value:
                    self.walk(item, alias=alias)
        finally:
            self.open.discard(key)

    @staticmethod
    def _unique(node: yaml.MappingNode) -> None:
        first: dict[str, int] = {}
        for k, _ in node.value:
            if not isinstance(k, yaml.ScalarNode) or k.value == "<<":
                continue  # a merge key may repeat; yaml.v3 applies each in turn
            line = k.start_mark.line + 1
            if k.value in first:
                raise _RefusedError(
                    f"line {line}: mapping key {json.dumps(k.value)} already defined at line "
                    f"{first[k.value]}"
                )
            first[k.value] = line


def _read_yaml(path: Path) -> Any:
    """Parse a project or stack file, refusing what the CLI refuses, each in one line."""
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ProjectError(f"{path}: cannot be read: {err.strerror}") from None
    # The CLI strips a UTF-8 byte-order mark before parsing (readFileStripUTF8BOM in
    # sdk/go/common/workspace/loaders.go).
    data = data.removeprefix(_UTF8_BOM)
    if b"\x00" in data:
        raise ProjectError(f"{path}: a binary file, not YAML text (it contains NUL bytes)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ProjectError(
            f"{path}: not UTF-8 text (byte 0x{data[err.start]:02x} at offset {err.start})"
        ) from None
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        decoder = _Decoder()
        decoder._count(alias=False)  # the document node, as yaml.v3 counts it
        decoder.walk(node)
        return loader.construct_document(node)
    except _RefusedError as err:
        raise ProjectError(f"{path}: not valid YAML: {err}") from None
    except RecursionError:
        raise ProjectError(f"{path}: not valid YAML: nested too deeply") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ProjectError(f"{path}: not valid YAML{where}: {problem}") from None
    finally:
        loader.dispose()


def _qualify(project: str, key: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def load_project(directory: Path) -> Project:
    """Read ``Pulumi.yaml`` (or ``Pulumi.yml``) in ``directory``; only Python projects qualify."""
    # The program runs with the project as working directory, so every path is made absolute.
    directory = directory.resolve()
    candidates = [directory / "Pulumi.yaml", directory / "Pulumi.yml"]
    path = next((p for p in candidates if p.is_file()), None)
    if path is None:
        raise ProjectError(f"{directory}: no Pulumi.yaml here; is this a Pulumi project directory?")
    doc = _read_yaml(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("name"), str):
        raise ProjectError(f"{path}: a project file needs a `name`")
    runtime = doc.get("runtime")
    runtime_name = runtime.get("name") if isinstance(runtime, dict) else runtime
    options = runtime.get("options") if isinstance(runtime, dict) else None
    if runtime_name != "python":
        raise ProjectError(
            f"{path}: runtime is {runtime_name!r}; only Python programs can be run offline"
        )
    name: str = doc["name"]
    main = directory / str(doc.get("main", "."))
    if main.is_dir():
        main = main / "__main__.py"
    if not main.is_file():
        raise ProjectError(f"{path}: the program entry point {main} does not exist")
    declared: dict[str, Mapping[str, Any]] = {}
    config = doc.get("config") or {}
    if not isinstance(config, dict):
        raise ProjectError(f"{path}: `config` must be a mapping of keys to declarations")
    for key, spec in config.items():
        declared[_qualify(name, str(key))] = spec if isinstance(spec, dict) else {"default": spec}
    return Project(
        directory=directory,
        name=name,
        runtime=runtime_name,
        main=main,
        stack_config_dir=directory / str(doc.get("stackConfigDir", ".")),
        declared=declared,
        runtime_options=options if isinstance(options, dict) else {},
        extension=path.suffix,
    )


def _engine_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


def stack_config(project: Project, stack: str) -> dict[str, str]:
    """The configuration the CLI would pass the program for ``stack``, defaults applied."""
    path = project.stack_file(stack)
    if not path.is_file():
        known = ", ".join(project.stacks()) or "none"
        raise ProjectError(f"{path}: no stack file for stack {stack!r}; stacks: {known}")
    doc = _read_yaml(path) or {}
    if not isinstance(doc, dict):
        raise ProjectError(f"{path}: a stack file must be a mapping with a `config` key")
    _refuse_environments(path, stack, doc.get("environment"))
    raw = doc.get("config") or {}
    if not isinstance(raw, dict):
        raise ProjectError(f"{path}: `config` must be a mapping of keys to values")
    config: dict[str, str] = {}
    for key, spec in project.declared.items():
        if "default" in spec:
            config[key] = _engine_value(spec["default"])
    for key, value in raw.items():
        if isinstance(value, dict) and "secure" in value and len(value) == 1:
            raise ProjectError(
                f"{path}: {key} is an encrypted secret; the offline run cannot decrypt it. "
                "Provide a plain placeholder in a separate stack for checks."
            )
        config[_qualify(project.name, str(key))] = _engine_value(value)
    return config


def _refuse_environments(path: Path, stack: str, environment: Any) -> None:
    """A stack file that imports Pulumi ESC environments (``environment: [org/env, ...]``) gets
    configuration and environment variables from them when the CLI runs the program
    (https://www.pulumi.com/docs/esc/integrations/infrastructure/pulumi-iac/); offline they cannot
    be opened, and a program judged without them may place data elsewhere than under ``pulumi up``
    (``config.get("archiveRegion") or "eu-west-1"``). Like an encrypted secret, no verdict."""
    if environment is None or environment == []:
        return
    imports = environment.get("imports") if isinstance(environment, dict) else environment
    names = [str(n) for n in imports] if isinstance(imports, list) else [str(imports)]
    raise ProjectError(
        f"{path}: stack {stack!r} imports the ESC environment(s) {', '.join(names)}, whose "
        "configuration the offline run cannot open; check a stack file that sets those values "
        "itself, or run `pulumi preview --policy-pack`"
    )


def stack_organization(reference: str) -> str | None:
    """The organization segment of ``org/stack`` or ``org/project/stack``; None for ``stack``."""
    parts = reference.split("/")
    return parts[0] if len(parts) > 1 and parts[0] else None


def stack_name(project: Project, reference: str, source: str = "--stack") -> str:
    """The stack name in a stack reference as the CLI accepts it: ``stack``, ``org/stack`` or
    ``org/project/stack`` (https://www.pulumi.com/docs/iac/concepts/stacks/#stacks).

    Offline there is no organization to check, so only a project segment can be wrong: it must be
    this project's name, else the reference names another project's stack."""
    parts = reference.split("/")
    if len(parts) > 3 or not all(parts):
        raise ProjectError(
            f"{source} {reference!r}: a stack is named `stack`, `org/stack` or `org/project/stack`"
        )
    if len(parts) == 3 and parts[1] != project.name:
        raise ProjectError(
            f"{source} {reference!r}: names project {parts[1]!r}, but {project.directory} is "
            f"project {project.name!r}"
        )
    return parts[-1]
