"""A deployment check: the public address printed in every frozen document and e-mail must be the real one.

A PDF frozen with http://127.0.0.1:8000/verifier/ in its QR code carries it for good: `check --deploy` fails before
that can happen."""

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks

LOCAUX = {"localhost", "localhost.localdomain", "0.0.0.0", ""}


def _est_locale(hote: str) -> bool:
    if hote in LOCAUX or hote.endswith(".localhost"):
        return True
    try:
        adresse = ipaddress.ip_address(hote)
    except ValueError:
        return False
    return adresse.is_loopback or adresse.is_unspecified or adresse.is_link_local


def check_site_url(app_configs=None, **kwargs) -> list[checks.Error]:
    site_url = getattr(settings, "SITE_URL", "") or ""
    adresse = urlsplit(site_url)
    if not site_url:
        probleme = "SITE_URL n'est pas définie"
    elif adresse.scheme != "https":
        probleme = f"SITE_URL ({site_url}) n'est pas une adresse https://"
    elif _est_locale(adresse.hostname or ""):
        probleme = f"SITE_URL ({site_url}) désigne cette machine, pas l'adresse publique du service"
    else:
        return []
    return [
        checks.Error(
            f"{probleme} : les liens des e-mails et le QR code de chaque document figé en dépendent, pour toujours.",
            hint="Définissez SITE_URL avec l'adresse publique du portail, par exemple "
            "https://conventions.ac-montpellier.fr.",
            id="documents.E001",
        )
    ]
