"""The collectivité's titres de perception, in the portal (mounted by portail, see FacturationConfig).

Titres come from `TitreDePerception.objects.for_user(user)`: another collectivité's is a 404 by construction.
"""

import io
from decimal import Decimal

from django.db.models import Prefetch
from django.http import FileResponse
from django.shortcuts import get_object_or_404, render

from collectivites.views import compte_portail

from .models import Paiement, TitreDePerception
from .pdf import pdf_stocke


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
