"""Where Clover's own policy packs and their configs are: the checkout's or the installed copy.

In a checkout the packs stay in ``policy_packs/`` beside ``clover/`` (``pulumi preview
--policy-pack policy_packs/eu_residency`` and the workflows use that path). A wheel ships the same
directory as ``clover/_packs/`` (``setup.py`` maps it), so an installed ``clover`` finds its packs
without a checkout.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Final

_PACKAGE: Final = Path(__file__).resolve().parent
CHECKOUT_PACKS: Final = _PACKAGE.parent / "policy_packs"
INSTALLED_PACKS: Final = _PACKAGE / "_packs"
MARKER: Final = Path("eu_residency") / "PulumiPolicy.yaml"
"""A file only a directory of Clover's packs has: the parent of an installed ``clover`` is
``site-packages``, where another distribution could own a ``policy_packs`` of its own."""


@functools.cache
def packs_dir() -> Path:
    """The directory holding Clover's pack directories (``eu_residency``, ...) and ``config/``.

    The checkout's ``policy_packs`` when ``clover`` runs from a checkout (an editable install
    included), else the copy installed inside the package. With neither, the installed path:
    the check then stops on it, naming the directory (a check without its packs judges nothing).
    """
    if (CHECKOUT_PACKS / MARKER).is_file():
        return CHECKOUT_PACKS
    return INSTALLED_PACKS
