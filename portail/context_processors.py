from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from conventions.models import Academie

from .registry import menu

HOME = "portail:tableau_de_bord"


def _academies(user) -> list[Academie]:
    """The académie a visitor deals with: a collectivité's (Academie.de_collectivite), else every académie of the
    deployment (one in the usual case)."""
    collectivite = getattr(user, "collectivite", None) if getattr(user, "collectivite_id", None) else None
    if collectivite is not None and (academie := Academie.de_collectivite(collectivite)) is not None:
        return [academie]
    return list(Academie.objects.order_by("nom"))


def portail(request) -> dict:
    """The portal's home, the académie whose identity base.html shows (lazily: the admin's pages, which share the
    context processors, never read it), and, for a collectivité's account, its menu (base.html draws both)."""
    user = getattr(request, "user", None)
    academies = SimpleLazyObject(lambda: _academies(user))
    context = {
        "portail_accueil": reverse(HOME),
        # Every académie the legal pages name, and the one the header and footer show (None when there are several
        # and the visitor belongs to none).
        "academies_portail": academies,
        "academie_portail": SimpleLazyObject(lambda: academies[0] if len(academies) == 1 else None),
    }
    if getattr(user, "collectivite_id", None) is None:
        return context
    view_name = request.resolver_match.view_name if request.resolver_match else ""
    context["portail_menu"] = [
        {"label": entry.label, "url": reverse(entry.url), "current": entry.is_current(view_name)}
        for entry in menu()
        if entry.visible_to(user)
    ]
    return context
