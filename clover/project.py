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

    def stack_file(self, stack: str) -> Path:
        return self.stack_config_dir / f"Pulumi.{stack}.yaml"

    def stacks(self) -> list[str]:
        """Stack names that have a stack file, sorted."""
        files = sorted(self.stack_config_dir.glob("Pulumi.*.yaml"))
        return [f.name[len("Pulumi.") : -len(".yaml")] for f in files]


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ProjectError(f"{path}: cannot be read: {err.strerror}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ProjectError(f"{path}: not valid YAML{where}: {problem}") from None


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
    for key, spec in (doc.get("config") or {}).items():
        declared[_qualify(name, str(key))] = spec if isinstance(spec, dict) else {"default": spec}
    return Project(
        directory=directory,
        name=name,
        runtime=runtime_name,
        main=main,
        stack_config_dir=directory / str(doc.get("stackConfigDir", ".")),
        declared=declared,
        runtime_options=options if isinstance(options, dict) else {},
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
