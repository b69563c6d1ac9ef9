"""The text of the files a resource ships: a function's code in a file archive, a file asset.

``code=pulumi.FileArchive("./app")`` is code the resource runs, and where that code sends data is
written in it (``requests.post("https://x.execute-api.us-east-1.amazonaws.com/...")``), as it is in
inline code (a string asset), which the data-flow rule reads as text. The engine sends an asset or
archive to the analyzer as its path (pulumi_policy deserializes it to ``pulumi.FileAsset`` /
``pulumi.FileArchive``); this module reads what the path holds, as the engine packages it: a
directory, or a ``.zip``/``.jar``/``.tar``/``.tgz``/``.tar.gz`` file
(https://www.pulumi.com/docs/iac/concepts/assets-archives/).

What is read is bounded, and limited to what the program's authors wrote: text files only (no
NUL byte, UTF-8), each at most :data:`MAX_FILE_BYTES`, at most :data:`MAX_FILES` files and
:data:`MAX_TOTAL_BYTES` in all; installed dependencies are skipped (``node_modules``, virtual
environments, and the package folders beside a ``*.dist-info`` of a ``pip install --target``
bundle), as are minified bundles and source maps: an SDK's endpoint tables name every region of
its cloud and say nothing about where this code sends data.

A relative path is read from the working directory: the offline check sends paths made absolute
against the program's directory (clover/standin/engine.py); under ``pulumi preview`` the pack runs
in its own directory and a relative path is usually not found there. A path that cannot be read
gives nothing: code is evidence of a flow when it names a place, never proof that none exists.
"""

from __future__ import annotations

import functools
import os
import stat
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import IO, Final

MAX_FILE_BYTES: Final = 256 * 1024
MAX_TOTAL_BYTES: Final = 4 * 1024 * 1024
MAX_FILES: Final = 2000
MAX_MEMBERS: Final = 20000
"""Archive members or directory entries looked at, read or not: bounds a crafted archive's cost."""

_DEPENDENCY_DIRS: Final = frozenset(
    {
        "node_modules",
        "bower_components",
        "site-packages",
        "dist-packages",
        ".venv",
        "venv",
        "__pycache__",
        ".git",
        ".hg",
        ".svn",
        ".terraform",
        ".tox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
    }
)
_PACKAGE_METADATA: Final = (".dist-info", ".egg-info")
_SKIPPED_SUFFIXES: Final = (".min.js", ".min.mjs", ".min.css", ".map")
_TAR_SUFFIXES: Final = (".tar", ".tgz", ".tar.gz")
_ZIP_SUFFIXES: Final = (".zip", ".jar")


def file_text(path: str) -> str | None:
    """The text of a file asset, or None when it is not a readable text file."""
    resolved = _existing(path)
    if resolved is None or not resolved.is_file():
        return None
    return _file_text(str(resolved), *_stamp(resolved))


def archive_texts(path: str) -> dict[str, str]:
    """The text files of a file archive by their path inside it; empty when nothing is readable."""
    resolved = _existing(path)
    if resolved is None:
        return {}
    return dict(_archive_texts(str(resolved), *_stamp(resolved)))


def _existing(path: str) -> Path | None:
    if not isinstance(path, str) or not path or "\x00" in path:
        return None
    candidate = Path(path)
    try:
        return candidate.resolve(strict=True)
    except (OSError, RuntimeError):  # missing, unreadable, a symlink loop
        return None


def _stamp(path: Path) -> tuple[int, int]:
    """What identifies a file's version for the cache: its modification time and size."""
    try:
        info = path.stat()
    except OSError:
        return (0, 0)
    return (info.st_mtime_ns, info.st_size)


@functools.lru_cache(maxsize=256)
def _file_text(path: str, _mtime: int, size: int) -> str | None:
    if size > MAX_FILE_BYTES or path.endswith(_SKIPPED_SUFFIXES):
        return None
    try:
        with open(path, "rb") as handle:
            return _decoded(handle.read(MAX_FILE_BYTES + 1))
    except OSError:
        return None


@functools.lru_cache(maxsize=64)
def _archive_texts(path: str, _mtime: int, _size: int) -> tuple[tuple[str, str], ...]:
    lowered = path.lower()
    try:
        if os.path.isdir(path):
            return tuple(_bounded(_directory(path)))
        if lowered.endswith(_ZIP_SUFFIXES) or zipfile.is_zipfile(path):
            return tuple(_bounded(_zip(path)))
        if lowered.endswith(_TAR_SUFFIXES) or tarfile.is_tarfile(path):
            return tuple(_bounded(_tar(path)))
    except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError, ValueError):
        return ()
    return ()


def _bounded(found: Iterator[tuple[str, bytes]]) -> Iterator[tuple[str, str]]:
    total = files = 0
    for name, data in found:
        text = _decoded(data)
        if text is None:
            continue
        total += len(data)
        files += 1
        if total > MAX_TOTAL_BYTES or files > MAX_FILES:
            return
        yield name, text


def _decoded(data: bytes) -> str | None:
    if len(data) > MAX_FILE_BYTES or b"\x00" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _skipped(parts: tuple[str, ...], bundles: frozenset[PurePosixPath]) -> bool:
    """Whether an archive member (its path's parts) is a dependency's file, not the authors'.

    A file directly in ``node_modules`` is the authors' (a CloudWatch Synthetics canary's script
    lives at ``nodejs/node_modules/<name>.js``); installed packages are its sub-folders."""
    folders = parts[:-1]
    if any(part.endswith(_PACKAGE_METADATA) for part in folders):
        return True
    if any(
        part in _DEPENDENCY_DIRS and not (part == "node_modules" and index == len(folders) - 1)
        for index, part in enumerate(folders)
    ):
        return True
    if parts[-1].endswith(_SKIPPED_SUFFIXES):
        return True
    # Inside a folder of a `pip install --target` bundle: the folder holds a package's
    # `*.dist-info`, its other sub-folders are installed packages; its own files (the handler
    # beside them) are the authors'.
    return any(PurePosixPath(*parts[:i]) in bundles for i in range(len(parts) - 1))


def _bundles(names: list[tuple[str, ...]]) -> frozenset[PurePosixPath]:
    """Folders that hold installed packages' metadata (``<pkg>-<version>.dist-info``)."""
    return frozenset(
        PurePosixPath(*parts[:i])
        for parts in names
        for i, part in enumerate(parts)
        if part.endswith(_PACKAGE_METADATA)
    )


def _directory(root: str) -> Iterator[tuple[str, bytes]]:
    entries: list[tuple[str, ...]] = []
    seen = 0
    for folder, dirs, files in os.walk(root):
        relative = Path(folder).relative_to(root).parts
        inside_modules = relative[-1:] == ("node_modules",)
        dirs[:] = sorted(
            d
            for d in dirs
            if (d == "node_modules" or d not in _DEPENDENCY_DIRS) and not inside_modules
        )
        for name in [*dirs, *sorted(files)]:
            seen += 1
            if seen > MAX_MEMBERS:
                break
            entries.append((*relative, name))
        if seen > MAX_MEMBERS:
            break
    bundles = _bundles(entries)
    for parts in entries:
        full = os.path.join(root, *parts)
        if _skipped(parts, bundles):
            continue
        try:
            info = os.lstat(full)
        except OSError:
            continue
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:
            continue
        try:
            with open(full, "rb") as handle:
                yield "/".join(parts), handle.read(MAX_FILE_BYTES + 1)
        except OSError:
            continue


def _zip(path: str) -> Iterator[tuple[str, bytes]]:
    with zipfile.ZipFile(path) as archive:
        members = [i for i in archive.infolist()[:MAX_MEMBERS] if not i.is_dir()]
        named = [(i, PurePosixPath(i.filename).parts) for i in members]
        bundles = _bundles([parts for _, parts in named])
        for info, parts in named:
            if not parts or _skipped(parts, bundles) or info.file_size > MAX_FILE_BYTES:
                continue
            with archive.open(info) as member:
                yield info.filename, _read_bounded(member)


def _tar(path: str) -> Iterator[tuple[str, bytes]]:
    with tarfile.open(path, "r:*") as archive:
        members: list[tarfile.TarInfo] = []
        for member in archive:
            members.append(member)
            if len(members) >= MAX_MEMBERS:
                break
        named = [(m, PurePosixPath(m.name).parts) for m in members if m.isfile()]
        bundles = _bundles([parts for _, parts in named])
        for member, parts in named:
            if not parts or _skipped(parts, bundles) or member.size > MAX_FILE_BYTES:
                continue
            handle = archive.extractfile(member)
            if handle is not None:
                with handle:
                    yield member.name, _read_bounded(handle)


def _read_bounded(handle: IO[bytes]) -> bytes:
    """At most one byte more than a file may hold: a member that lies about its size is refused
    without being expanded."""
    return handle.read(MAX_FILE_BYTES + 1)
