"""The campaign at a glance, on the admin's home page: per school year, the conventions at each step, the schools,
the amounts, per département, as figures and as bars (SVG drawn by the template from the widths computed here).

It lives in facturation, the app that knows both the conventions and the titres it links to."""

from django import template
from django.urls import reverse

from conventions.campagne import tableau_de_bord
from conventions.models import AnneeScolaire

register = template.Library()

LARGEUR = 480  # px of the longest bar
MARGE = 40  # px left of the bars, for the département's code
ETAPES = [
    ("brouillon", "En préparation", "etat__exact=brouillon"),
    ("envoyee", "Envoyées, en attente", "retour=attendue"),
    ("deposee", "Retournées, en vérification", "retour=a_confirmer"),
    ("signee", "Signées", "etat__exact=signee"),
]


def _segments(valeurs: list[tuple[str, int | float]], echelle: float) -> list[dict]:
    """Consecutive segments of a stacked bar: each key's value, its x and its width in px."""
    x, segments = float(MARGE), []
    for cle, valeur in valeurs:
        largeur = float(valeur) * echelle
        segments.append({"cle": cle, "valeur": valeur, "x": round(x, 1), "largeur": round(largeur, 1)})
        x += largeur
    return segments


@register.inclusion_tag("admin/facturation/_campagne_en_bref.html", takes_context=True)
def campagne_en_bref(context):
    request = context["request"]
    if not request.user.has_perm("conventions.view_convention"):
        return {}
    annees = list(AnneeScolaire.objects.for_user(request.user).select_related("academie"))
    annee = next((a for a in annees if str(a.pk) == request.GET.get("annee")), annees[0] if annees else None)
    if annee is None:
        return {}
    tableau = tableau_de_bord(annee)
    conventions = reverse("admin:conventions_convention_changelist") + f"?annee__id__exact={annee.pk}"
    titres = reverse("admin:facturation_titredeperception_changelist") + f"?annee_scolaire__exact={annee.libelle}"
    lignes = tableau["departements"]
    max_conventions = max((ligne["nb_conventions"] for ligne in lignes), default=0) or 1
    max_emis = max((ligne["emis"] for ligne in lignes), default=0) or 1
    departements = [
        {
            "code": ligne["departement"],
            "ligne": ligne,
            "y": i * 30,
            "lien": f"{conventions}&departement={ligne['departement']}",
            "etapes": _segments([(cle, ligne["etapes"][cle]) for cle, _, _ in ETAPES], LARGEUR / max_conventions),
            "montants": _segments(
                [
                    ("paye", ligne["paye"]),
                    ("en_retard", ligne["en_retard"]),
                    ("a_echoir", ligne["reste"] - ligne["en_retard"]),
                ],
                LARGEUR / float(max_emis),
            ),
        }
        for i, ligne in enumerate(lignes)
    ]
    total = tableau["total"]
    return {
        "annee": annee,
        "annees": annees,
        "total": total,
        "etapes": [
            {"cle": cle, "libelle": libelle, "nombre": total["etapes"][cle], "lien": f"{conventions}&{filtre}"}
            for cle, libelle, filtre in ETAPES
        ],
        "departements": departements,
        "hauteur": max(len(departements), 1) * 30,
        "liens": {
            "emis": titres,
            "paye": f"{titres}&etat=paye",
            "en_retard": f"{titres}&etat=en_retard",
            "suivi": reverse("admin:conventions_traitement_suivi") + f"?annee={annee.pk}",
        },
    }
