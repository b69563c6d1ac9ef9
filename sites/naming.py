"""Physical names that Azure makes global: chosen by the stack, deterministic, within Azure's rules.

Storage account names are 3-24 lower-case letters and digits; vault names 3-24 letters, digits and
single hyphens, starting with a letter. Both are global across Azure (a deleted vault's name stays
reserved for its 90-day soft-delete period), so a short hash of site and stack keeps two stacks
apart without asking every stack file for a name.
https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules
"""

from __future__ import annotations

import hashlib
import re

_HASH_LENGTH = 6
_MAX = 24


def _suffix(site: str, stack: str) -> str:
    return hashlib.sha256(f"clover/{site}/{stack}".encode()).hexdigest()[:_HASH_LENGTH]


def azure_account_name(site: str, stack: str) -> str:
    """``clv<site><stack>`` squeezed to letters and digits, then a 6-character hash."""
    stem = re.sub(r"[^a-z0-9]", "", f"clv{site}{stack}".lower())
    return stem[: _MAX - _HASH_LENGTH] + _suffix(site, stack)


def azure_vault_name(site: str, stack: str) -> str:
    """``clv-<site>-<stack>`` with single hyphens, then ``-`` and a 6-character hash."""
    stem = re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9-]", "-", f"clv-{site}-{stack}".lower()))
    stem = stem[: _MAX - _HASH_LENGTH - 1].rstrip("-")
    return f"{stem}-{_suffix(site, stack)}"
