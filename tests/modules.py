"""Importing a file that is no module of an importable package: a pack's tool, a CI script, the
shared files the packs carry."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def module_from_file(name: str, path: Path, *, keep: bool = False) -> ModuleType:
    """The module ``path`` defines, imported under ``name``. It is in ``sys.modules`` while it
    runs (dataclasses look their module up there while a class is made), and stays there only
    with ``keep``."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None, path
    assert spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        if not keep:
            del sys.modules[name]
    return module
