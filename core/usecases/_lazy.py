"""Lazy re-exports for the use case facades (PEP 562): a facade names what its package offers, and a name's
module loads on its first use, so a handler that imports a facade pays at cold start only for what it calls.

Shared by ``core.usecases`` and each group's ``__init__`` so that the rule lives in one place."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from importlib import import_module
from types import ModuleType
from typing import Any


def lazy_exports(package: str, exports: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``, where ``exports`` maps a name to the submodule (relative to
    the package) that defines it, or ``"module:attribute"`` when it is re-exported under another name.

    The package's module class is also swapped so that a submodule loading later does not overwrite an export
    of the same name (``positions`` is both a module and the function the trading facade exports)."""
    namespace = sys.modules[package]

    def __getattr__(name: str) -> Any:
        where = exports.get(name)
        if where is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, _, attribute = where.partition(":")
        value = getattr(import_module(f"{package}.{module}"), attribute or name)
        vars(namespace)[name] = value  # later lookups are plain attribute reads
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(namespace), *exports})

    class _Facade(ModuleType):
        def __setattr__(self, name: str, value: Any) -> None:
            if name in exports and isinstance(value, ModuleType):
                return
            super().__setattr__(name, value)

    namespace.__class__ = _Facade
    return __getattr__, __dir__
