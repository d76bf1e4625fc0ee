"""A deployment check: a public service publishes where to report a vulnerability (/.well-known/security.txt)."""

from django.conf import settings
from django.core import checks


def check_security_contact(app_configs=None, **kwargs) -> list[checks.Warning]:
    contact = settings.SECURITY_CONTACT
    if contact.startswith(("mailto:", "https://")):
        return []
    probleme = (
        "SECURITY_CONTACT n'est pas définie" if not contact else f"SECURITY_CONTACT ({contact}) n'est pas valable"
    )
    return [
        checks.Warning(
            f"{probleme} : /.well-known/security.txt ne dit pas où signaler une vulnérabilité.",
            hint="Définissez SECURITY_CONTACT, par exemple mailto:rssi@ac-montpellier.fr (README, « Sécurité »).",
            id="portail.W001",
        )
    ]
