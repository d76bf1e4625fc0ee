from django.urls import reverse

from .registry import menu

HOME = "portail:tableau_de_bord"


def portail(request) -> dict:
    """The portal's home and, for a collectivité's account, its menu (base.html draws both)."""
    context = {"portail_accueil": reverse(HOME)}
    user = getattr(request, "user", None)
    if getattr(user, "collectivite_id", None) is None:
        return context
    view_name = request.resolver_match.view_name if request.resolver_match else ""
    context["portail_menu"] = [
        {"label": entry.label, "url": reverse(entry.url), "current": entry.is_current(view_name)}
        for entry in menu()
        if entry.visible_to(user)
    ]
    return context
