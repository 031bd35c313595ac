"""Shipped model configurations (TOML), installed as package data of ``macroattr.configs``.

Examples
--------
>>> from macroattr.configs import config_path
>>> config_path("default").name
'default.toml'
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["config_path", "names"]


def names() -> list[str]:
    """Names of the shipped model configurations (``default``, ``static_monthly``);
    the scenario set ``scenarios.toml`` is not one of them."""
    return sorted(p.stem for p in Path(__file__).parent.glob("*.toml") if p.stem not in _NOT_MODELS)


#: Shipped TOML files that are not model configurations.
_NOT_MODELS = {"scenarios"}


def config_path(name: str = "default") -> Path:
    """Path of a shipped configuration, by name (``"default"``) or file name."""
    stem = name[:-5] if name.endswith(".toml") else name
    return Path(__file__).with_name(f"{stem}.toml")
