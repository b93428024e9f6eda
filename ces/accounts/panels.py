"""Home-page panels. Domain apps declare theirs in a ``panels.py`` module (discovered at start-up),
so that accounts, which every app depends on, never imports a domain app."""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.module_loading import autodiscover_modules


@dataclass(frozen=True)
class Panel:
    key: str
    title: str
    template: str
    roles: frozenset[str]
    context: Callable
    order: int = 100


_panels: dict[str, Panel] = {}


def register(*, key: str, title, template: str, roles, order: int = 100):
    """Decorator over ``context(request) -> dict`` that adds a panel to the home page of ``roles``."""

    def decorator(func):
        _panels[key] = Panel(key=key, title=title, template=template, roles=frozenset(roles),
                             context=func, order=order)
        return func

    return decorator


def panels_for(role: str, request) -> list[tuple[Panel, dict]]:
    chosen = sorted((p for p in _panels.values() if role in p.roles), key=lambda p: (p.order, p.key))
    return [(panel, panel.context(request)) for panel in chosen]


def autodiscover():
    autodiscover_modules("panels")
