"""documents/formats.py for templates: {{ montant|euros }}, {{ date|date_longue }}, {{ n|pluriel:"école" }}."""

import datetime
import re

from django import template
from django.utils import timezone
from django.utils.safestring import mark_safe

from documents import formats

register = template.Library()


@register.filter
def euros(value):
    return "" if value is None else formats.euros(value)


@register.filter
def date_longue(value):
    """ "13 septembre 2021"; a moment is first put in the local time zone (a late evening stays on its day)."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date()
    return formats.date_longue(value)


@register.filter
def pluriel(count, singulier):
    """{{ 3|pluriel:"école" }} → "3 écoles"; {{ 2|pluriel:"titre émis,titres émis" }} for an irregular plural."""
    singulier, _, forme_plurielle = singulier.partition(",")
    return formats.pluriel(count, singulier, forme_plurielle or None)


_TEXT_NODE = re.compile(r"(?<=>)[^<]+")


@register.filter(is_safe=True)
def insecables(html):
    """{% filter insecables %}: formats.sans_coupure on the text of an HTML fragment, never inside its tags (class
    names, ids). For the documents' bodies, which hold no <style> or <script>."""
    return mark_safe(_TEXT_NODE.sub(lambda match: formats.sans_coupure(match.group()), str(html)))
