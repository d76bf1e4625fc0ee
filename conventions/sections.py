"""What apps above conventions add to a convention's page on the portal (the titres, from facturation).

Each registers, from its AppConfig.ready(), a function of the request and the convention returning a piece of HTML
(its own template, rendered) or "" when it has nothing to show; conventions names none of them.
"""

from collections.abc import Callable

from django.http import HttpRequest
from django.utils.safestring import SafeString

from .models import Convention

Section = Callable[[HttpRequest, Convention], SafeString | str]

_sections: list[Section] = []


def enregistrer_section(fonction: Section) -> None:
    if fonction not in _sections:
        _sections.append(fonction)


def sections(request: HttpRequest, convention: Convention) -> list[str]:
    """The registered sections of this convention's page, in the order of registration, empty ones left out."""
    return [html for html in (fonction(request, convention) for fonction in _sections) if html]
