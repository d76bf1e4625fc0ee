"""The collectivité's titres de perception, in the portal (mounted by portail, see FacturationConfig).

Titres come from `TitreDePerception.objects.for_user(user)`: another collectivité's is a 404 by construction.
"""

import io

from django.http import FileResponse
from django.shortcuts import get_object_or_404, render

from collectivites.views import compte_portail

from .models import TitreDePerception
from .pdf import pdf_stocke


@compte_portail
def titres(request):
    titres = (
        TitreDePerception.objects.for_user(request.user)
        .avec_paiements()
        .select_related("annule")
        .only(
            "numero",
            "montant",
            "date_emission",
            "date_echeance",
            "convention_id",
            "convention_reference",
            "annule__numero",
        )
        .order_by("-date_emission", "-numero")
    )
    return render(request, "facturation/portail/titres.html", {"titres": titres, "title": "Titres de perception"})


@compte_portail
def titre_pdf(request, pk):
    """The titre exactly as issued: the stored bytes, checked against their SHA-256 (an altered file is an incident
    for the administrators, never served)."""
    titre = get_object_or_404(TitreDePerception.objects.for_user(request.user), pk=pk)
    filename, content_type, content = pdf_stocke(titre)
    return FileResponse(io.BytesIO(content), as_attachment=True, filename=filename, content_type=content_type)
