"""What the apps contribute to the portal, declared in their AppConfig: portail reads it, no app imports portail.

    class FacturationConfig(AppConfig):
        portal_urls = ("", "facturation.urls")  # mounted under /espace/: (prefix, URLconf module)
        portal_menu = ({"label": "Titres de perception", "url": "facturation:titres", "order": 20},)

A menu entry has a label, a URL name and an order; optionally the portal `roles` that see it (everyone by default)
and `current`, the prefixes of the view names for which it is the current page (its own URL name by default).
"""

from dataclasses import dataclass
from functools import cache

from django.apps import apps


@dataclass(frozen=True)
class MenuEntry:
    label: str
    url: str
    order: int = 100
    roles: tuple[str, ...] = ()
    current: tuple[str, ...] = ()

    def visible_to(self, user) -> bool:
        return not self.roles or user.role in self.roles

    def is_current(self, view_name: str) -> bool:
        return any(view_name.startswith(prefix) for prefix in self.current or (self.url,))


def portal_urls() -> list[tuple[str, str]]:
    """(prefix, URLconf module) of every app's portal pages, in the order of INSTALLED_APPS."""
    return [config.portal_urls for config in apps.get_app_configs() if getattr(config, "portal_urls", None)]


@cache
def menu() -> tuple[MenuEntry, ...]:
    entries = [MenuEntry(**entry) for config in apps.get_app_configs() for entry in getattr(config, "portal_menu", ())]
    return tuple(sorted(entries, key=lambda entry: entry.order))
