"""The collectivité's titres de perception, in the portal (mounted by portail, see FacturationConfig).

Titres come from `TitreDePerception.objects.for_user(user)`: another collectivité's is a 404 by construction.
"""

import io

from django.http import FileResponse
from django.shortcuts import get_object_or_404, render

from collectivites.views import compte_portail

from .models import TitreDePerception
from .pdf import pdf_stocke
from .sections import dus, titres_du_portail


@compte_portail
def titres(request):
    """Each titre with its state, its payments and how to pay it (the account frozen on it), and what is owed."""
    titres = list(titres_du_portail(request.user))
    context = {"titres": titres, **dus(titres), "title": "Titres de perception"}
    return render(request, "facturation/portail/titres.html", context)


@compte_portail
def titre_pdf(request, pk):
    """The titre exactly as issued: the stored bytes, checked against their SHA-256 (an altered file is an incident
    for the administrators, never served)."""
    titre = get_object_or_404(TitreDePerception.objects.for_user(request.user), pk=pk)
    filename, content_type, content = pdf_stocke(titre)
    return FileResponse(io.BytesIO(content), as_attachment=True, filename=filename, content_type=content_type)
