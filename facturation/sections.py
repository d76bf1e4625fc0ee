"""The titres as the portal shows them, and the section they add to a convention's page (conventions.sections,
registered in FacturationConfig.ready(); kept apart from views.py, which loads the PDF renderer)."""

from decimal import Decimal

from django.db.models import Prefetch
from django.template.loader import render_to_string

from .models import Paiement, TitreDePerception


def titres_du_portail(user):
    """The user's titres as the portal shows them: state, payments, the account frozen on each."""
    return (
        TitreDePerception.objects.for_user(user)
        .with_paiements()
        .select_related("annule")
        .prefetch_related(Prefetch("paiements", queryset=Paiement.objects.order_by("date", "pk")))
        .only(
            "numero",
            "montant",
            "date_emission",
            "date_echeance",
            "convention_id",
            "convention_reference",
            "annule__numero",
            "titulaire_compte",
            "iban",
            "bic",
        )
        .order_by("-date_emission", "-numero")
    )


def dus(titres) -> dict:
    """What is left to pay on these titres (newest first), the overdue part (TitreDePerception.reste_a_payer,
    est_en_retard), and the titre whose account « Comment payer » shows: the newest one still owed, never a
    cancelling or cancelled titre (None when nothing is owed)."""
    return {
        "du": sum((titre.reste_a_payer for titre in titres), Decimal("0.00")),
        "en_retard": sum((titre.reste_a_payer for titre in titres if titre.est_en_retard()), Decimal("0.00")),
        "titre_a_payer": next((titre for titre in titres if titre.reste_a_payer), None),
    }


def titres_de_la_convention(request, convention) -> str:
    """The section of a convention's portal page (conventions.sections): its titres, what is left to pay and how."""
    titres = list(titres_du_portail(request.user).filter(convention=convention))
    if not titres:
        return ""
    context = {"titres": titres, **dus(titres)}
    # Without the request: the section needs none of the context processors, which the page itself runs.
    return render_to_string("facturation/portail/_titres_convention.html", context)
