"""The main menu. Each app adds the entries of its pages (clinics and pharmacy in their ``panels.py``,
discovered at start-up with the panels), each with the permission predicate its pages require, so the menu
offers a page exactly to those it opens for and restates no role."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class MenuEntry:
    key: str
    label: str
    url_name: str
    allowed: Callable  # (user) -> bool, the predicate of the page's view
    order: int = 100


_entries: dict[str, MenuEntry] = {}


def register(*, key: str, label, url_name: str, allowed: Callable, order: int = 100) -> None:
    _entries[key] = MenuEntry(key=key, label=label, url_name=url_name, allowed=allowed, order=order)


def menu_for(user) -> list[MenuEntry]:
    """The entries the user may open, in their order. No query once the user's roles are read."""
    if not user.is_authenticated:
        return []
    return [entry for entry in sorted(_entries.values(), key=lambda e: (e.order, e.key)) if entry.allowed(user)]
