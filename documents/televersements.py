"""A size limit on uploads, enforced before the request body is read.

Django reads a whole multipart body (to memory or a temporary file) before a form can look at a file's size: 200 MB
sent anonymously to /verifier/ would be read to be refused. A view decorated with `taille_limitee("REGLAGE")` answers
413 on the declared length of the body, before reading any of it (a WSGI server reads no more than that length).
The CSRF check reads the body too: it runs after this one, on the bodies that are allowed.
"""

from functools import wraps

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt, csrf_protect


def en_mo(octets: int) -> str:
    """ "20 Mo", "2,5 Mo": a size as the pages state it."""
    valeur = f"{octets / (1024 * 1024):.1f}".replace(".", ",").removesuffix(",0")
    return f"{valeur} Mo"


def _longueur_declaree(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def taille_limitee(reglage: str):
    """Refuses a body larger than settings.<reglage> (bytes) with a French 413 page, without reading it."""

    def decorator(view):
        protegee = csrf_protect(view)

        @wraps(view)
        @csrf_exempt
        def wrapper(request, *args, **kwargs):
            limite = getattr(settings, reglage)
            if _longueur_declaree(request) > limite:
                return render(
                    request,
                    "televersement_trop_volumineux.html",
                    {"title": "Fichier trop volumineux", "limite": en_mo(limite), "retour": request.path},
                    status=413,
                )
            return protegee(request, *args, **kwargs)

        return wrapper

    return decorator
