"""The collectivité's dashboard and its titres de perception.

The dashboard lives here, at the top of the dependency chain, because it shows conventions with their titres.
Titres come from `TitreDePerception.objects.for_user(user)`: another collectivité's is a 404 by construction.
"""

import io
from decimal import Decimal
from itertools import groupby

from django.db.models import Prefetch
from django.http import FileResponse
from django.shortcuts import get_object_or_404, render

from collectivites.views import compte_portail
from conventions.models import Convention

from .models import Paiement, TitreDePerception
from .pdf import pdf_stocke


@compte_portail
def tableau_de_bord(request):
    """Conventions per school year, each with its state, schools, amount, titres and what is left to pay."""
    # Only the columns the page shows: a titre has some fifty frozen fields, and building their SELECT for every
    # request costs more than running it.
    titres = (
        TitreDePerception.objects.titres()
        .avec_paiements()
        .only("convention_id", "numero", "montant", "annule_id", "emis_le", "date_echeance")
        .order_by("emis_le")
    )
    conventions = (
        Convention.objects.for_user(request.user)
        .with_participation()
        .select_related("annee", "commune")
        .only(
            "reference",
            "etat",
            "exemplaire_signe",
            "tarif_fige",
            "participation_figee",
            "annee__libelle",
            "annee__tarif_par_ecole",
            "commune__nom",
        )
        .prefetch_related(Prefetch("titres", queryset=titres, to_attr="titres_portail"))
        .order_by("-annee__libelle", "reference")
    )
    lignes = [
        {
            "convention": convention,
            "titres": convention.titres_portail,
            "reste_a_payer": sum((t.reste_a_payer for t in convention.titres_portail), Decimal("0")),
        }
        for convention in conventions
    ]
    annees = [
        {"libelle": libelle, "lignes": list(group)}
        for libelle, group in groupby(lignes, key=lambda ligne: ligne["convention"].annee.libelle)
    ]
    return render(
        request,
        "facturation/portail/tableau_de_bord.html",
        {"annees": annees, "collectivite": request.user.collectivite, "title": "Tableau de bord"},
    )


@compte_portail
def titres(request):
    """Each titre with its state, its payments and how to pay it (the account frozen on it), and what is owed."""
    titres = list(
        TitreDePerception.objects.for_user(request.user)
        .avec_paiements()
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
    du = sum((titre.reste_a_payer for titre in titres), Decimal("0.00"))
    en_retard = sum((titre.reste_a_payer for titre in titres if titre.est_en_retard()), Decimal("0.00"))
    context = {"titres": titres, "du": du, "en_retard": en_retard, "title": "Titres de perception"}
    return render(request, "facturation/portail/titres.html", context)


@compte_portail
def titre_pdf(request, pk):
    """The titre exactly as issued: the stored bytes, checked against their SHA-256 (an altered file is an incident
    for the administrators, never served)."""
    titre = get_object_or_404(TitreDePerception.objects.for_user(request.user), pk=pk)
    filename, content_type, content = pdf_stocke(titre)
    return FileResponse(io.BytesIO(content), as_attachment=True, filename=filename, content_type=content_type)
